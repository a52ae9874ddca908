"""The REST API that speaks Hightouch's public API (/api/v1/), and the API keys it accepts."""
