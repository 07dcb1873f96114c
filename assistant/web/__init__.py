"""The web chat widget: session cookies, origin policy, history, static files, demo page."""
