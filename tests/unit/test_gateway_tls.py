"""The native gateway's HTTPS settings and its self-signed certificate: made once for 127.0.0.1 and
localhost with a key only its owner reads, kept while valid, made again near its end."""

import datetime
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from pydantic import ValidationError

from scripts.devstack import runner, tls
from scripts.devstack.settings import StackSettings

NOW = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)


def test_self_signed_certificate_names_loopback_and_its_key_is_the_owners_only(tmp_path: Path):
    cert_file, key_file = tmp_path / "secrets" / "gw.crt", tmp_path / "secrets" / "gw.key"
    assert tls.ensure_self_signed(cert_file, key_file, now=NOW)
    assert key_file.stat().st_mode & 0o777 == 0o600
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert cert.not_valid_before_utc <= NOW < cert.not_valid_after_utc


def test_self_signed_certificate_is_kept_while_valid_and_made_again_near_its_end(tmp_path: Path):
    cert_file, key_file = tmp_path / "gw.crt", tmp_path / "gw.key"
    tls.ensure_self_signed(cert_file, key_file, now=NOW)
    first = cert_file.read_bytes()
    assert not tls.ensure_self_signed(cert_file, key_file, now=NOW + datetime.timedelta(days=300))
    assert cert_file.read_bytes() == first
    assert tls.ensure_self_signed(cert_file, key_file, now=NOW + tls.VALID_FOR - datetime.timedelta(days=1))
    assert cert_file.read_bytes() != first


def test_a_certificate_without_its_key_is_made_again(tmp_path: Path):
    cert_file, key_file = tmp_path / "gw.crt", tmp_path / "gw.key"
    tls.ensure_self_signed(cert_file, key_file, now=NOW)
    other_key = tmp_path / "other.key"
    tls.ensure_self_signed(tmp_path / "other.crt", other_key, now=NOW)
    key_file.write_bytes(other_key.read_bytes())
    assert tls.ensure_self_signed(cert_file, key_file, now=NOW)


def test_given_tls_files_must_exist(tmp_path: Path):
    settings = StackSettings(
        _env_file=None,
        var_dir=tmp_path,
        gateway_tls_cert=tmp_path / "no.crt",
        gateway_tls_key=tmp_path / "no.key",
    )
    with pytest.raises(FileNotFoundError, match="no.crt"):
        tls.gateway_certificate(settings)


def test_tls_takes_a_certificate_with_its_key_or_self_signed_not_both(tmp_path: Path):
    with pytest.raises(ValidationError, match="go together"):
        StackSettings(_env_file=None, gateway_tls_cert=tmp_path / "gw.crt")
    with pytest.raises(ValidationError, match="not both"):
        StackSettings(
            _env_file=None,
            gateway_tls="self-signed",
            gateway_tls_cert=tmp_path / "gw.crt",
            gateway_tls_key=tmp_path / "gw.key",
        )


def test_with_tls_the_gateway_url_is_https_and_the_dashboards_cookie_secure(tmp_path: Path):
    plain = StackSettings(_env_file=None, var_dir=tmp_path, gateway_port=9000)
    assert plain.gateway_url == "http://127.0.0.1:9000" and not plain.tls_enabled
    assert "WEB_UI_COOKIE_SECURE" not in runner.web_ui_spec(plain, {}).env  # left to its own setting
    secure = StackSettings(_env_file=None, var_dir=tmp_path, gateway_tls="self-signed", gateway_tls_port=9443)
    assert secure.gateway_url == "https://127.0.0.1:9443"
    assert runner.web_ui_spec(secure, {}).env["WEB_UI_COOKIE_SECURE"] == "true"
