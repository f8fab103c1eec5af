"""IPPanelClient against a fake API (httpx.MockTransport): requests, parsing, errors, retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.api.client import IPPanelClient
from runner.api.types import BulkStats, LoginStep
from runner.errors import (
    ApiError,
    ApiValidationError,
    AuthenticationError,
    ConnectFailed,
    ConnectionDropped,
    CredentialsError,
    InputError,
    NotFoundError,
    RateLimitedError,
    RequestTimedOut,
    ServerError,
)

FIXTURES = Path(__file__).resolve().parent / "data" / "ippanel-fixtures"
KEY = "canary-key-7f3a9c1e"
BASE = "https://edge.ippanel.com/v1"

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def ok(data: Any, **meta: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "meta": {"status": True, **meta}})


class FakeApi:
    """Answers requests in order and remembers them."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def make(api: FakeApi, sleeps: list[float] | None = None, **kwargs: Any) -> IPPanelClient:
    kwargs.setdefault("random", lambda: 1.0)
    return IPPanelClient(
        KEY,
        transport=httpx.MockTransport(api),
        sleep=(sleeps if sleeps is not None else []).append,
        **kwargs,
    )


# -- requests as sent ------------------------------------------------------------------------


def test_send_posts_the_body_as_given_with_the_raw_key() -> None:
    request_body = {
        "sending_type": "webservice",
        "from_number": "+983000505",
        "message": "سلام دنیا",
        "params": {"recipients": ["+989120000000"]},
    }
    api = FakeApi(httpx.Response(200, json=fixture("send_webservice__success__200-1")))
    result = make(api).send(request_body)
    request = api.last
    assert (request.method, str(request.url)) == ("POST", f"{BASE}/api/send")
    assert request.headers["Authorization"] == KEY
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"].startswith("ippanel-run/")
    assert body(request) == request_body
    assert "سلام دنیا".encode() in request.content
    assert result.outbox_ids == (1123544244,)


def test_peer_to_peer_answer_gives_one_int_id_per_params_item() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("send_peer-to-peer__success__200-1")))
    assert make(api).send({"sending_type": "peer_to_peer"}).outbox_ids == (1123594208, 1123594210)


def test_outbox_ids_sent_as_strings_become_ints() -> None:
    api = FakeApi(ok({"message_outbox_ids": ["17", 18]}))
    assert make(api).send({}).outbox_ids == (17, 18)


def test_send_multipart_uploads_csv_files_as_files_array() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("send_peer-to-peer-file__success__200-1")))
    form = {"sending_type": "peer_to_peer_file", "from_number": "+983000505"}
    csv_text = "recipient,message\n+989120000000,سلام علی\n"
    result = make(api).send_multipart(form, [("batch-1.csv", csv_text)])
    request = api.last
    assert (request.method, request.url.path) == ("POST", "/v1/api/send")
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    content = request.content
    assert b'name="sending_type"\r\n\r\npeer_to_peer_file\r\n' in content
    assert b'name="from_number"\r\n\r\n+983000505\r\n' in content
    assert b'name="files[]"; filename="batch-1.csv"\r\nContent-Type: text/csv\r\n' in content
    assert csv_text.encode() in content
    assert len(result.outbox_ids) == 2


def test_cancel_posts_the_single_outbox_id() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("send_cancel-scheduled__success__200-1")))
    make(api).cancel(1148303263)
    assert (api.last.method, api.last.url.path) == ("POST", "/v1/api/send/cancel")
    assert body(api.last) == {"message_outbox_id": 1148303263}


def test_custom_base_url_keeps_its_path_and_drops_a_trailing_slash() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("payment_my-credit__success__200-1")))
    client = make(api, base_url="http://127.0.0.1:8765/v1/")
    client.credit()
    assert str(api.last.url) == "http://127.0.0.1:8765/v1/api/payment/credit/mine"
    assert client.base_url == "http://127.0.0.1:8765/v1"


def test_timeouts_are_5s_to_connect_and_30s_to_read() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("payment_my-credit__success__200-1")))
    make(api).credit()
    timeout = api.last.extensions["timeout"]
    assert (timeout["connect"], timeout["read"]) == (5.0, 30.0)


def test_a_url_without_scheme_is_an_input_error() -> None:
    with pytest.raises(InputError, match="https://"):
        IPPanelClient(KEY, base_url="edge.ippanel.com/v1")


def test_a_call_needing_credentials_without_any_fails_before_sending() -> None:
    api = FakeApi()
    client = IPPanelClient(None, transport=httpx.MockTransport(api))
    with pytest.raises(CredentialsError):
        client.credit()
    assert api.requests == []


# -- reports ------------------------------------------------------------------------------------


def test_outbox_list_posts_page_limit_and_filters_and_converts_loose_types() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("report_outbox-report__success__200-1")))
    page = make(api).outbox_list(page=3, limit=2, number="+981000", create_from_date="1745409000")
    assert (api.last.method, api.last.url.path) == ("POST", "/v1/api/report/new_list")
    assert body(api.last) == {
        "page": 3,
        "limit": 2,
        "filters": {"number": "+981000", "create_from_date": "1745409000"},
    }
    row = page.items[0]
    assert (row.outbox_id, row.recipients, row.exit_count) == (12545856, 1, 1)
    assert (row.cost, row.created_at, row.send_at, row.state_id) == (
        3990.2,
        1745409418,
        1745409418,
        6,
    )
    assert (row.sender, row.message, row.status) == ("+981000", "متن پیام", "پایان یافته")
    assert page.items[1].outbox_id == 588459562
    assert (page.page, page.last_page, page.total) == (1, 32282040, 64564080)


def test_outbox_list_without_filters_sends_no_filters_object() -> None:
    api = FakeApi(ok([], current_page=1, last_page=1))
    make(api).outbox_list()
    assert body(api.last) == {"page": 1, "limit": 100}


def _outbox_row(outbox_id: int) -> dict[str, Any]:
    row = dict(fixture("report_outbox-report__success__200-1")["data"][0])
    row["messages_outbox_id"] = str(outbox_id)
    return row


def test_iter_outbox_reads_every_page() -> None:
    pages = [
        ok([_outbox_row(1), _outbox_row(2)], current_page=1, last_page=2),
        ok([_outbox_row(3)], current_page=2, last_page=2),
    ]
    api = FakeApi(*pages)
    ids = [row.outbox_id for row in make(api).iter_outbox(limit=2, message="سلام")]
    assert ids == [1, 2, 3]
    assert [body(r) for r in api.requests] == [
        {"page": 1, "limit": 2, "filters": {"message": "سلام"}},
        {"page": 2, "limit": 2, "filters": {"message": "سلام"}},
    ]


def test_outbox_by_id_uses_the_current_get_endpoint() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("report_outbox-report-id__success__200-1")))
    row = make(api).outbox_by_id(5544778899)
    assert api.last.method == "GET"
    assert str(api.last.url) == f"{BASE}/api/report/by_bulk?messages_outbox_id=5544778899"
    assert (row.outbox_id, row.parts, row.cost, row.type) == (5544778899, 1, 1064.0, "sendvoice")


@pytest.mark.parametrize("status", [404, 405])
def test_outbox_by_id_falls_back_to_the_documented_post_and_remembers_it(status: int) -> None:
    row = fixture("report_outbox-report-id__success__200-1")
    api = FakeApi(httpx.Response(status, text="no route"), ok(row["data"]), ok(row["data"]))
    client = make(api)
    assert client.outbox_by_id(5544778899).outbox_id == 5544778899
    client.outbox_by_id(5544778899)
    assert [(r.method, r.url.path) for r in api.requests] == [
        ("GET", "/v1/api/report/by_bulk"),
        ("POST", "/v1/api/report/by_bulk/5544778899"),
        ("POST", "/v1/api/report/by_bulk/5544778899"),
    ]
    assert body(api.requests[1]) == {"page": 1, "limit": 10}


def test_outbox_by_id_missing_on_both_endpoints_is_not_found() -> None:
    missing = fixture("FA_send_cancel-scheduled__error_404__404-1")
    api = FakeApi(httpx.Response(404, json=missing), httpx.Response(404, json=missing))
    with pytest.raises(NotFoundError):
        make(api).outbox_by_id(1)
    assert len(api.requests) == 2


def test_once_get_works_its_404_means_the_outbox_is_missing() -> None:
    row = fixture("report_outbox-report-id__success__200-1")["data"]
    missing = fixture("FA_send_cancel-scheduled__error_404__404-1")
    api = FakeApi(ok(row), httpx.Response(404, json=missing))
    client = make(api)
    client.outbox_by_id(5544778899)
    with pytest.raises(NotFoundError):
        client.outbox_by_id(1)
    assert len(api.requests) == 2


def test_bulk_stats_counts_mixed_int_and_string_values() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("report_bulk-stats__success__200-1")))
    stats = make(api).bulk_stats(42)
    assert str(api.last.url) == f"{BASE}/api/report/bulk_stats?bulk_id=42"
    assert stats.counts["delivered"]["irancell"] == {"en": 0, "fa": 1}
    assert stats.by_operator("delivered") == {"irancell": 1, "mci": 0}
    assert (stats.total("delivered"), stats.total("failed"), stats.total("blacklist")) == (1, 0, 0)
    assert BulkStats({}).total("sent") == 0


def test_recipients_pages_through_every_page() -> None:
    first = fixture("report_bulk-recipient__success__200-1")["data"]
    row = {"recipient": "+989350000000", "message": "x", "msg_parts": 2, "message_status": None}
    api = FakeApi(
        ok(first, current_page=1, last_page=3, per_page=2, total=5),
        ok(first, current_page=2, last_page=3, per_page=2, total=5),
        ok([row], current_page=3, last_page=3, per_page=2, total=5),
    )
    rows = list(make(api).recipients(77, per_page=2))
    assert [str(r.url.query, "ascii") for r in api.requests] == [
        "page=1&per_page=2&bulk_id=77",
        "page=2&per_page=2&bulk_id=77",
        "page=3&per_page=2&bulk_id=77",
    ]
    assert {r.url.path for r in api.requests} == {"/v1/api/report/recipients"}
    assert len(rows) == 5
    assert (rows[0].recipient, rows[0].parts, rows[0].status, rows[0].readable) == (
        "+989190000000",
        1,
        1,
        True,
    )
    assert (rows[4].parts, rows[4].status) == (2, None)


def test_recipients_default_to_1000_a_page() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("report_bulk-recipient__success__200-1")))
    assert len(list(make(api).recipients(5))) == 2
    assert api.last.url.params["per_page"] == "1000"


def test_credit_and_price_quote() -> None:
    api = FakeApi(
        httpx.Response(200, json=fixture("payment_my-credit__success__200-1")),
        httpx.Response(200, json=fixture("send_calculate-price__success__200-1")),
    )
    client = make(api)
    credit = client.credit()
    assert (api.requests[0].method, api.requests[0].url.path) == (
        "GET",
        "/v1/api/payment/credit/mine",
    )
    assert (credit.credit, credit.gift, credit.updated_at) == (
        6084722932.705052,
        0.0,
        "2025-06-30 18:07:06",
    )
    quote = client.calculate_price("+983000505", "تست")
    assert api.last.url.path == "/v1/api/send/calculate-price"
    assert body(api.last) == {"number": "+983000505", "message": "تست"}
    assert (quote.mci_price, quote.other_price, quote.parts) == (2370.0, 2503.0, 1)


# -- auth -------------------------------------------------------------------------------------


def test_login_steps_post_their_bodies_without_authorization() -> None:
    api = FakeApi(
        httpx.Response(200, json=fixture("auth_login__success__200-1")),
        ok({"method": "sms", "token": "t2"}),
        httpx.Response(200, json=fixture("auth_confirm-otp__success__200-1")),
    )
    client = make(api)
    step = client.login("ali", "pa55")
    client.send_sms_otp(step.token)
    final = client.confirm_otp("t2", "123456")
    assert [r.url.path for r in api.requests] == [
        "/v1/api/acl/auth/login",
        "/v1/api/acl/auth/send_sms_otp",
        "/v1/api/acl/auth/confirm_otp",
    ]
    assert [body(r) for r in api.requests] == [
        {"username": "ali", "password": "pa55"},
        {"token": step.token},
        {"token": "t2", "otp": "123456"},
    ]
    assert all("Authorization" not in r.headers for r in api.requests)
    assert final == LoginStep("login", "22c392ffebe7286ee8021cfef7d7cad5")


def test_check_token_returns_the_account() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("auth_check-token__success__200-1")))
    account = make(api).check_token()
    assert (api.last.method, api.last.url.path) == ("POST", "/v1/api/acl/auth/check_token")
    assert api.last.headers["Authorization"] == KEY
    assert (account.user_name, account.user_id, account.name, account.is_reseller) == (
        "ippanel",
        58745,
        "test",
        True,
    )


def test_logout_posts_with_the_token() -> None:
    api = FakeApi(httpx.Response(200, json=fixture("auth_logout__success__200-1")))
    make(api).logout()
    assert (api.last.method, api.last.url.path) == ("POST", "/v1/api/acl/auth/logout")
    assert api.last.headers["Authorization"] == KEY


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "error", "code"),
    [
        (401, "send_webservice__error_401__400-1", AuthenticationError, "400-1"),
        (422, "send_webservice__error_422__400-2", ApiValidationError, "400-2"),
        (422, "report_outbox-report__error_422__400-31", ApiValidationError, "400-31"),
        (404, "FA_send_pattern__error_404__404-1", NotFoundError, "404-1"),
        (404, "send_cancel-scheduled__error_404__400-1", NotFoundError, "400-1"),
        # Only HTTP 401 means a refused credential; 400-1 on another status is another error.
        (200, "send_webservice__error_401__400-1", ApiError, "400-1"),
        (403, "send_webservice__error_401__400-1", ApiError, "400-1"),
    ],
)
def test_error_envelopes_become_their_error_class(
    status: int, name: str, error: type[ApiError], code: str
) -> None:
    payload = fixture(name)
    api = FakeApi(httpx.Response(status, json=payload))
    with pytest.raises(error) as caught:
        make(api).send({})
    assert type(caught.value) is error
    assert (caught.value.status, caught.value.code) == (status, code)
    assert caught.value.api_message == payload["meta"]["message"]
    assert payload["meta"]["message"] in str(caught.value)


def test_a_400_1_business_error_is_not_reported_as_a_bad_api_key() -> None:
    path = Path(__file__).parent / "data" / "api" / "numbers_assign__error_400__400-1.json"
    api = FakeApi(httpx.Response(400, json=json.loads(path.read_text(encoding="utf-8"))))
    with pytest.raises(ApiError) as caught:
        make(api).send({})
    assert type(caught.value) is ApiError
    assert not hasattr(caught.value, "hint")
    assert str(caught.value) == "number already assigned to user (HTTP 400, 400-1)"


def test_authentication_error_carries_a_hint() -> None:
    api = FakeApi(httpx.Response(401, json=fixture("auth_check-token__error_401__400-1")))
    with pytest.raises(AuthenticationError) as caught:
        make(api).check_token()
    assert "IPPANEL_API_KEY" in caught.value.hint
    assert str(caught.value) == "اطلاعات وارد شده صحیح نمی باشد (HTTP 401, 400-1)"


def test_validation_error_keeps_field_errors_in_persian() -> None:
    payload = fixture("send_pattern__error_422__400-2")
    api = FakeApi(httpx.Response(422, json=payload))
    with pytest.raises(ApiValidationError) as caught:
        make(api).send({})
    assert caught.value.errors == payload["meta"]["errors"]
    for field, messages in payload["meta"]["errors"].items():
        assert f"{field}: {messages[0]}" in str(caught.value)


def test_login_422_with_top_level_errors_is_a_validation_error() -> None:
    api = FakeApi(httpx.Response(422, json=fixture("auth_login__error_x__422-1")))
    with pytest.raises(ApiValidationError) as caught:
        make(api).login("ali", "wrong")
    assert caught.value.code == "422-1"
    assert caught.value.errors == {"username": ["نام کاربری یا رمز عبور اشتباه است"]}
    assert "درخواست معتبر نیست" in str(caught.value)


@pytest.mark.parametrize(
    ("response", "error", "text"),
    [
        (httpx.Response(429, text=""), RateLimitedError, "HTTP 429"),
        (httpx.Response(500, json={"message": "Server Error"}), ServerError, "HTTP 500"),
        (httpx.Response(502, text="<html>Bad Gateway</html>"), ServerError, "HTTP 502"),
        (httpx.Response(200, text="<html>maintenance</html>"), ServerError, "HTTP 200"),
        (httpx.Response(401, text="Unauthorized"), AuthenticationError, "HTTP 401"),
    ],
)
def test_odd_answers_become_errors_naming_the_status(
    response: httpx.Response, error: type[ApiError], text: str
) -> None:
    with pytest.raises(error, match=text):
        make(FakeApi(response)).send({})


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(400, text="<html><body>400 Bad Request</body></html>"),
        httpx.Response(408, text="<html>Request Timeout</html>"),
        httpx.Response(200, text=""),
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(502, text="Bad Gateway"),
        httpx.Response(404, json={"message": "Not Found"}),
    ],
)
def test_answers_without_the_api_envelope_are_marked_as_such(response: httpx.Response) -> None:
    with pytest.raises(ApiError) as caught:
        make(FakeApi(response)).send({})
    assert caught.value.enveloped is False
    assert caught.value.status == response.status_code


def test_error_envelopes_are_marked_as_the_apis_own() -> None:
    api = FakeApi(httpx.Response(422, json=fixture("send_webservice__error_422__400-2")))
    with pytest.raises(ApiValidationError) as caught:
        make(api).send({})
    assert caught.value.enveloped is True


DATE = "Wed, 21 Oct 2026 07:28:00 GMT"


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT", "Date": DATE}, 30.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_a_429_keeps_its_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    answer = httpx.Response(429, headers=headers, json={"meta": {"status": False}})
    with pytest.raises(RateLimitedError) as caught:
        make(FakeApi(answer)).send({})
    assert caught.value.retry_after == seconds


def test_a_send_answered_too_slowly_ends_at_its_deadline_and_is_not_repeated() -> None:
    release = threading.Event()

    def dribbling(request: httpx.Request) -> httpx.Response:
        release.wait(10)  # a server still trickling its answer
        return ok({"message_outbox_ids": [1]})

    api = FakeApi(dribbling, ok({"message_outbox_ids": [2]}))
    client = make(api, read_timeout=30.0, deadline=0.05)
    try:
        with pytest.raises(RequestTimedOut, match=r"no complete answer within 0\.05 s.*may have"):
            client.send({"message": "x"})
    finally:
        release.set()
    assert len(api.requests) == 1
    assert client.send({"message": "y"}).outbox_ids == (2,)


def test_the_deadline_defaults_to_twice_the_read_timeout() -> None:
    assert IPPanelClient(KEY, read_timeout=4.0).deadline == 8.0
    assert IPPanelClient(KEY).deadline == 60.0


def test_200_with_meta_status_false_is_an_api_error() -> None:
    payload = {"data": None, "meta": {"status": False, "message": "خطا", "message_code": "500-9"}}
    with pytest.raises(ApiError) as caught:
        make(FakeApi(httpx.Response(200, json=payload))).send({})
    assert type(caught.value) is ApiError
    assert caught.value.api_message == "خطا"


def test_201_with_meta_status_true_is_success() -> None:
    response = httpx.Response(
        201, json={"data": {"message_outbox_ids": [9]}, "meta": {"status": True}}
    )
    assert make(FakeApi(response)).send({}).outbox_ids == (9,)


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (httpx.ConnectError("refused"), ConnectFailed),
        (httpx.ConnectTimeout("slow"), ConnectFailed),
        (httpx.ReadTimeout("slow"), RequestTimedOut),
        (httpx.WriteTimeout("slow"), RequestTimedOut),
        (httpx.PoolTimeout("busy"), ConnectFailed),
        (httpx.RemoteProtocolError("gone"), ConnectionDropped),
        (httpx.ReadError("reset"), ConnectionDropped),
        (httpx.WriteError("reset"), ConnectionDropped),
    ],
)
def test_network_failures_become_transport_errors_with_the_cause(
    raised: Exception, error: type[ApiError]
) -> None:
    with pytest.raises(error) as caught:
        make(FakeApi(raised), retries=0).send({})
    assert caught.value.__cause__ is raised
    assert "POST https://edge.ippanel.com/v1/api/send" in str(caught.value)


# -- retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("gone"),
        httpx.Response(500, json={}),
        httpx.Response(503, text="busy"),
        httpx.Response(429, text=""),
    ],
)
@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.send({"sending_type": "webservice"}),
        lambda c: c.send_multipart({"sending_type": "peer_to_peer_file"}, [("a.csv", "x")]),
        lambda c: c.cancel(1),
        lambda c: c.login("ali", "pw"),
    ],
)
def test_a_send_is_never_repeated_once_it_may_have_arrived(
    failure: Answer, call: Callable[[IPPanelClient], object]
) -> None:
    api = FakeApi(failure, ok({"message_outbox_ids": [1]}))
    sleeps: list[float] = []
    with pytest.raises(ApiError):
        call(make(api, sleeps))
    assert len(api.requests) == 1
    assert sleeps == []


def test_a_send_is_repeated_when_the_connection_was_never_made() -> None:
    api = FakeApi(
        httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), ok({"message_outbox_ids": [5]})
    )
    sleeps: list[float] = []
    assert make(api, sleeps).send({"message": "x"}).outbox_ids == (5,)
    assert len(api.requests) == 3
    assert [body(r) for r in api.requests] == [{"message": "x"}] * 3
    assert sleeps == [0.5, 1.0]


def test_connect_retries_give_up_after_the_configured_count() -> None:
    api = FakeApi(*[httpx.ConnectError("refused")] * 4)
    sleeps: list[float] = []
    with pytest.raises(ConnectFailed, match="nothing was sent"):
        make(api, sleeps).send({})
    assert len(api.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_multipart_send_is_repeated_whole_after_a_connect_failure() -> None:
    api = FakeApi(httpx.ConnectError("refused"), ok({"message_outbox_ids": [5]}))
    make(api).send_multipart({"sending_type": "peer_to_peer_file"}, [("a.csv", "r,m\n")])
    assert [
        r.content.count(b'filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nr,m\n')
        for r in api.requests
    ] == [1, 1]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("gone"),
        httpx.Response(500, json={}),
        httpx.Response(429, text=""),
    ],
)
def test_reads_are_retried_on_transient_failures(failure: Answer) -> None:
    credit = httpx.Response(200, json=fixture("payment_my-credit__success__200-1"))
    api = FakeApi(failure, failure, credit)
    sleeps: list[float] = []
    assert make(api, sleeps).credit().gift == 0.0
    assert sleeps == [0.5, 1.0]


def test_report_calls_are_reads() -> None:
    stats = httpx.Response(200, json=fixture("report_bulk-stats__success__200-1"))
    listing = ok([], current_page=1, last_page=1)
    account = httpx.Response(200, json=fixture("auth_check-token__success__200-1"))
    timeout = httpx.ReadTimeout("slow")
    api = FakeApi(timeout, stats, timeout, listing, timeout, account)
    client = make(api)
    client.bulk_stats(1)
    client.outbox_list()
    client.check_token()
    assert len(api.requests) == 6


def test_backoff_doubles_up_to_a_cap_of_8_seconds() -> None:
    api = FakeApi(*[httpx.Response(503, text="")] * 7)
    sleeps: list[float] = []
    with pytest.raises(ServerError):
        make(api, sleeps, retries=6).credit()
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_backoff_is_jittered_by_the_injected_random() -> None:
    api = FakeApi(httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow"), ok({"credit": 1}))
    sleeps: list[float] = []
    make(api, sleeps, random=lambda: 0.25).credit()
    assert sleeps == [0.125, 0.25]


def test_errors_that_repeat_cannot_fix_are_not_retried() -> None:
    api = FakeApi(httpx.Response(401, json=fixture("payment_my-credit__error_401__400-1")))
    with pytest.raises(AuthenticationError):
        make(api).credit()
    assert len(api.requests) == 1


# -- secrets ------------------------------------------------------------------------------------


def test_the_key_never_shows_in_repr_or_error_text() -> None:
    echo = {
        "data": None,
        "meta": {"status": False, "message": f"bad key {KEY}", "errors": {"k": [KEY]}},
    }
    failures: list[Answer] = [
        httpx.Response(401, json=echo),
        httpx.Response(422, json=echo),
        httpx.ConnectError(f"cannot reach with {KEY}"),
        httpx.ReadTimeout(f"slow {KEY}"),
        httpx.RemoteProtocolError(f"gone {KEY}"),
    ]
    for failure in failures:
        client = make(FakeApi(failure), retries=0)
        assert KEY not in repr(client)
        with pytest.raises(ApiError) as caught:
            client.send({})
        assert KEY not in str(caught.value)
        assert KEY not in repr(caught.value)
        assert all(KEY not in m for ms in caught.value.errors.values() for m in ms)


def test_login_tokens_do_not_show_in_reprs() -> None:
    assert "secret-token" not in repr(LoginStep("login", "secret-token"))
    assert (
        repr(IPPanelClient(None))
        == "IPPanelClient(base_url='https://edge.ippanel.com/v1', credential=None)"
    )


def test_the_client_is_a_context_manager() -> None:
    api = FakeApi(ok({"credit": 1}))
    with make(api) as client:
        client.credit()
    with pytest.raises(RuntimeError):
        client.credit()
