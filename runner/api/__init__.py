"""Everything that speaks to the IPPanel Edge API.

``client`` (the only module importing httpx) makes typed calls, its reads in ``reads``;
``envelope`` turns an answer into data or an ``ApiError``; ``types`` holds the typed
results; ``credentials`` finds the API key or cached login token; ``login`` runs the
username/password flow.
"""
