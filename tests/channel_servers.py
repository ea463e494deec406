"""Real servers on loopback for the notification channels: an SMTP server (aiosmtpd) and an HTTP SMS gateway."""
from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailSink:
    """An SMTP server on 127.0.0.1 that keeps every message it accepts."""

    def __init__(self):
        self.messages: list = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "subject": str(message["Subject"]), "message_id": str(message["Message-ID"]),
                              "body": message.get_content()})
        return "250 Message accepted for delivery"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class SmsGateway:
    """An HTTP SMS gateway on 127.0.0.1: keeps every JSON POST; can answer 500 or garbage, or be down."""

    def __init__(self):
        self.received: list = []      # bodies of the requests it answered with success
        self.requests: list = []      # every request, whatever it answered
        self.mode = "ok"              # ok | error500 | garbage
        self.port = free_port()
        self.server = None
        self.thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms/send"

    def start(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length).decode("utf-8"))
                gateway.requests.append({"body": body, "auth": self.headers.get("Authorization")})
                if gateway.mode == "error500":
                    self._answer(500, b'{"error": "internal error"}')
                elif gateway.mode == "garbage":
                    self._answer(200, b"<html>502 Bad Gateway from a proxy</html>")
                else:
                    gateway.received.append(body)
                    self._answer(200, json.dumps({"ok": True, "message_id": f"m{len(gateway.received)}"}).encode())

            def _answer(self, status, payload):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(5)
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
