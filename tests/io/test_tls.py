"""tls.py: water marks, contexts, state transitions, the app transport's edges."""

from __future__ import annotations

import asyncio.sslproto
import ssl
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import miniloop
from miniloop.io.tls import TLSLayer, TLSState, default_client_context, water_marks


@given(st.one_of(st.none(), st.integers(-3, 10**6)), st.one_of(st.none(), st.integers(-3, 10**6)),
       st.sampled_from([256, 512]))
def test_water_marks_are_asyncios(high: int | None, low: int | None, kib: int) -> None:
    outcomes = []
    for compute in (water_marks, asyncio.sslproto.add_flowcontrol_defaults):
        try:
            outcomes.append(compute(high, low, kib))
        except ValueError as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]


def test_default_contexts() -> None:
    with pytest.raises(ValueError, match="Server side SSL needs a valid SSLContext"):
        default_client_context(True, None)
    assert default_client_context(False, "example.org").check_hostname
    assert not default_client_context(False, None).check_hostname


def make_layer(**options: Any) -> tuple[Any, TLSLayer]:
    loop = miniloop.Loop()
    layer = TLSLayer(loop, asyncio.Protocol(), ssl.create_default_context(), None, **options)
    return loop, layer


def test_states_move_only_forward_or_to_unwrapped() -> None:
    loop, layer = make_layer()
    try:
        assert layer._state is TLSState.UNWRAPPED
        with pytest.raises(RuntimeError, match="cannot switch state"):
            layer._set_state(TLSState.WRAPPED)
        for state in (TLSState.DO_HANDSHAKE, TLSState.WRAPPED, TLSState.FLUSHING,
                      TLSState.SHUTDOWN, TLSState.UNWRAPPED):
            layer._set_state(state)
        assert layer._state is TLSState.UNWRAPPED
    finally:
        loop.close()


def test_timeouts_must_be_positive() -> None:
    for name in ("ssl_handshake_timeout", "ssl_shutdown_timeout"):
        with pytest.raises(ValueError, match=f"{name} should be a positive number, got 0"):
            make_layer(**{name: 0})


def test_app_transport_basics_before_a_connection() -> None:
    loop, layer = make_layer()
    try:
        transport = layer._app_transport
        assert transport is not None
        assert transport.get_extra_info("sslcontext") is layer._sslcontext
        assert transport.get_extra_info("peername", "none yet") == "none yet"
        assert transport.get_write_buffer_limits() == (131072, 524288)
        assert transport.get_read_buffer_limits() == (65536, 262144)
        transport.set_write_buffer_limits(high=1000)
        assert transport.get_write_buffer_limits() == (250, 1000)
        assert transport.is_reading()
        transport.pause_reading()
        assert not transport.is_reading()
        with pytest.raises(TypeError, match="expecting a bytes-like instance, got str"):
            transport.write("text")
        with pytest.raises(NotImplementedError):
            transport.write_eof()
        assert not transport.can_write_eof()
        with pytest.raises(RuntimeError, match="Creating _SSLProtocolTransport twice"):
            layer._app_transport = None
            layer._get_app_transport()
        transport._closed = True  # nothing to warn about
    finally:
        loop.close()


def test_an_unclosed_tls_transport_warns() -> None:
    import gc

    loop, layer = make_layer()
    try:
        transport = layer._app_transport
        layer._app_transport = None
        with pytest.warns(ResourceWarning, match="unclosed transport"):
            del transport
            gc.collect()
    finally:
        loop.close()
