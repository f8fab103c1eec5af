BEGIN TRANSACTION;
CREATE TABLE api_keys (key TEXT PRIMARY KEY, user_id INTEGER NOT NULL);
INSERT INTO "api_keys" VALUES('sandbox-demo-key',58745);
CREATE TABLE credit (
    user_id INTEGER PRIMARY KEY, credit REAL NOT NULL, updated_at REAL NOT NULL);
INSERT INTO "credit" VALUES(58745,999995877.0,1742457600.0);
INSERT INTO "credit" VALUES(58746,1000000000.0,0.0);
INSERT INTO "credit" VALUES(58747,1000000000.0,0.0);
CREATE TABLE faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, match TEXT NOT NULL,
    remaining INTEGER, seconds REAL NOT NULL, ms REAL NOT NULL);
INSERT INTO "faults" VALUES(1,'latency','report',NULL,0.0,1.0);
CREATE TABLE fingerprints (digest TEXT PRIMARY KEY, at REAL NOT NULL);
INSERT INTO "fingerprints" VALUES('cea1a23a8e2848e9ddf849a782c8031193e366f1d81497a1933e95c3ec02f580',1742457600.0);
CREATE TABLE numbers (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, number TEXT NOT NULL);
INSERT INTO "numbers" VALUES(10001,58745,'+983000505');
INSERT INTO "numbers" VALUES(10002,58745,'+98BANK');
INSERT INTO "numbers" VALUES(10003,58745,'+9810001234');
INSERT INTO "numbers" VALUES(10004,58745,'+985000125475');
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, sending_type TEXT NOT NULL,
    sender TEXT NOT NULL, number_id INTEGER, message TEXT NOT NULL, parts INTEGER NOT NULL,
    encoding TEXT NOT NULL, rcpts INTEGER NOT NULL, cost REAL NOT NULL,
    created_at REAL NOT NULL, send_at REAL, review INTEGER NOT NULL, verdict TEXT NOT NULL,
    cancelled_at REAL, summary TEXT);
INSERT INTO "outbox" VALUES(1123544244,58745,'webservice','+983000505',10001,'سلام',1,'UCS-2',3,4123.0,1742457600.0,NULL,1,'ok',NULL,NULL);
CREATE TABLE patterns (
    code TEXT PRIMARY KEY, user_id INTEGER NOT NULL, text TEXT NOT NULL);
INSERT INTO "patterns" VALUES('nowruz1406ptrn',58745,'%name% عزیز، نوروز مبارک! کد تخفیف شما: %code%');
INSERT INTO "patterns" VALUES('otp0077login',58745,'کد ورود شما: %code%');
CREATE TABLE recipients (
    outbox_id INTEGER NOT NULL, seq INTEGER NOT NULL, recipient TEXT NOT NULL,
    PRIMARY KEY (outbox_id, seq));
INSERT INTO "recipients" VALUES(1123544244,0,'+989120000000');
INSERT INTO "recipients" VALUES(1123544244,1,'+989350000000');
INSERT INTO "recipients" VALUES(1123544244,2,'+989121234567');
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "settings" VALUES('next_outbox_id','1123544245');
INSERT INTO "settings" VALUES('clock_offset','0');
INSERT INTO "settings" VALUES('seeded','1');
CREATE TABLE tokens (
    token TEXT PRIMARY KEY, user_id INTEGER NOT NULL, kind TEXT NOT NULL,
    expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE users (
    id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, password TEXT NOT NULL,
    name TEXT NOT NULL, method TEXT NOT NULL);
INSERT INTO "users" VALUES(58745,'demo','demo-password','Sandbox Demo','login');
INSERT INTO "users" VALUES(58746,'sms-user','sms-password','Sandbox SMS OTP','sms');
INSERT INTO "users" VALUES(58747,'ga-user','ga-password','Sandbox Authenticator','ga');
CREATE INDEX outbox_user_created ON outbox (user_id, created_at);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('faults',1);
COMMIT;
