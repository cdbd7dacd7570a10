"""What a failed webhook connection is recorded as, and which client a subscription gets."""

import errno
import socket

from aiohttp import ClientConnectorDNSError, ClientConnectorError
from aiohttp.client_reqrep import ConnectionKey

from services.notifier import url_guard
from services.notifier.webhook_http import WebhookClients, excerpt_text, failure_text

KEY = ConnectionKey("hooks.example.com", 443, True, True, None, None, None)


def test_a_refused_connection_names_the_host_not_the_address_it_resolved_to():
    # asyncio's own text for a refused connect names the address dialled
    cause = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('10.1.2.3', 443)")
    text = failure_text(ClientConnectorError(KEY, cause))
    assert text == "cannot connect to hooks.example.com:443: Connection refused"


def test_a_failure_on_every_address_names_none_of_them():
    cause = OSError("Multiple exceptions: [Errno 113] Connect call failed ('10.1.2.3', 443), [Errno 111] ...")
    text = failure_text(ClientConnectorError(KEY, cause))
    assert "10.1.2.3" not in text and text.startswith("cannot connect to hooks.example.com:443: ")


def test_a_guard_refusal_is_recorded_as_the_guard_worded_it():
    refused = url_guard.Refused("refused: hooks.example.com resolves to an internal address")
    assert failure_text(ClientConnectorDNSError(KEY, refused)) == str(refused)


def test_an_unknown_name_keeps_the_resolver_reason():
    unknown = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    text = failure_text(ClientConnectorDNSError(KEY, unknown))
    assert text == "cannot connect to hooks.example.com:443: Name or service not known"


def test_without_the_setting_every_subscription_gets_the_guarded_client():
    guarded, trusted = object(), object()
    assert WebhookClients(guarded, None).for_target(allow_internal=True) is guarded
    assert WebhookClients(guarded, trusted).for_target(allow_internal=True) is trusted
    assert WebhookClients(guarded, trusted).for_target(allow_internal=False) is guarded


def test_an_excerpt_replaces_invalid_bytes_and_pictures_control_characters():
    text = excerpt_text(b"ok\x00\x01\x1f\x7f \xff\t\r\n", complete=True)
    assert text == "ok\u2400\u2401\u241f\u2421 \ufffd\t\r\n"


def test_a_character_cut_by_the_excerpt_is_dropped_but_one_cut_by_the_body_is_replaced():
    euro = "€".encode()  # three bytes
    assert excerpt_text(b"a" + euro[:2], complete=False) == "a"
    assert excerpt_text(b"a" + euro[:2], complete=True) == "a\ufffd"


def test_an_empty_body_has_no_excerpt():
    assert excerpt_text(b"", complete=True) is None
