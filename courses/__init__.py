"""The education domain: accounts and profiles, catalog, enrollment, and later credit.

Knows nothing of Starlette or aiortc; the app package turns its errors into responses.
"""
