"""Rasa input channels, one per way a patient or an integration reaches the assistant.

- ``web/``: the website chat widget's channel (``web.channel.WebChatInput``) and its parts:
  signed session cookies, origin policy, rate limits, answer-once retries, history, demo page.
  The widget's own JS and CSS live in the top-level ``widget/`` folder.
- ``sms/``: the Twilio SMS channel (``sms.channel.SmsInput``) and its parts: the signed form,
  keywords (STOP/HELP), numbered menus, segments, per-number state.
- ``rest.py``: the token-protected REST channel for integrations and ``make shell``.
- ``output.py``: the output channel every channel collects replies with (safety flags kept);
  ``settings.py``: credentials and secrets, checked the same way for all of them.
- ``replies_store.py``, ``replica_liveness.py``, ``tracker_replies.py``: each patient message
  (web client id, SMS MessageSid) answered once, across replicas, even when one dies
  mid-request.
"""
