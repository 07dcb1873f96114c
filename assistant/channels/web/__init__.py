"""The web chat channel (``channel.WebChatInput``, under ``/webhooks/web``) and its parts.

``sessions`` (signed cookies), ``origins`` (which sites may embed the widget), ``rate_limits``,
``request_format``, ``answer_once`` (a retried message gets the first answer; the keys are in
``assistant.channels.replies_store``), ``history`` (the transcript a reload shows) and
``demo_page``. The browser side (JS, CSS, vendored libraries) is in the top-level ``widget/``
folder; this channel serves it.
"""
