"""Webhooks: signed JSON events posted to the URLs administrators register.

``events.publish`` queues an event (one delivery row per subscribed endpoint);
``dispatcher.WebhookDispatcher`` posts them with retries (why not the media job queue: see
its docstring); ``signing`` makes and checks the Standard Webhooks signature headers;
``store`` holds the rows.
"""
