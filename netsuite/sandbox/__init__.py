"""A local NetSuite for tests, benchmarks and the demo: SuiteTalk SOAP 2023.2 with token-based
authentication, the REST record service and its metadata catalog, and a /_sandbox/ control API.

Start it with `python manage.py netsuite_sandbox --port 8765`; `create_app` builds the aiohttp
application.
"""
