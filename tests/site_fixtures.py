"""Shared fixtures for tests that need the built site or a browser (owned by the site work).

Contract (other tests rely on these names):
- ``built_site``   session fixture: Path of a site built once per test session.
- ``site_url``     session fixture: base URL (ending in "/") of a local HTTP server serving it.
- ``open_page``    fixture: ``open_page(path) -> page``, a Playwright page on headless Chromium
                   that records ``page.external_requests`` and ``page.console_errors``.
"""
