"""What a failed webhook connection is recorded as."""

import errno
import socket

from aiohttp import ClientConnectorDNSError, ClientConnectorError
from aiohttp.client_reqrep import ConnectionKey

from services.notifier.webhook_http import failure_text

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


def test_an_unknown_name_keeps_the_resolver_reason():
    unknown = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    text = failure_text(ClientConnectorDNSError(KEY, unknown))
    assert text == "cannot connect to hooks.example.com:443: Name or service not known"
