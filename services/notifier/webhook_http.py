"""The text a failed webhook connection is recorded with."""

import os
import socket
import ssl

import aiohttp


def failure_text(failure: aiohttp.ClientError) -> str:
    """What a failed attempt records: the URL's host, never an address it resolved to (asyncio's connect
    errors name the address, which would tell the subscriber what the platform's DNS answers)."""
    if isinstance(failure, aiohttp.ClientConnectorError):
        reason = _reason(failure.os_error)
        return f"cannot connect to {failure.host}:{failure.port}: {reason}"[:500]
    return f"{type(failure).__name__}: {failure}"[:500]


def _reason(error: OSError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate not accepted: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error.reason}"
    if isinstance(error, socket.gaierror):
        return error.strerror or "name not resolved"
    if error.errno:
        return os.strerror(error.errno)
    return "no address accepted the connection"
