"""Which connections the mirror serves, so that no local process can crowd
out the operator or the app's own file handles.

- At most MAX_CONNECTIONS at once in total (the server's pool): more wait
  in the kernel's backlog and hold none of this process's file handles.
- A connection is *signed in* once one of its requests carried the token
  (the operator's page, its WebSocket, an outside producer's POST). Those
  not signed in may hold at most MAX_ANONYMOUS of the slots: a new
  connection beyond that closes the oldest one not signed in (the one
  that had longest to send a request), so a flood of idle or refused
  connections can never take the last MAX_CONNECTIONS - MAX_ANONYMOUS
  slots from signed-in browsers, nor keep a new one from being read.
- One address may hold MAX_CONNECTIONS_PER_ADDRESS, but only for peers
  beyond this machine: on loopback the address says nothing (every local
  process, the operator's browser included, is 127.0.0.1 or any other
  address of 127.0.0.0/8 it binds), so there the two rules above guard.

Everything here runs on the mirror's hub thread.
"""
from __future__ import annotations

import ipaddress
import logging
import socket

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 128
MAX_ANONYMOUS = 96
MAX_CONNECTIONS_PER_ADDRESS = 64


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return (mapped or ip).is_loopback


class Admission:
    def __init__(self) -> None:
        self._anonymous: dict[socket.socket, str] = {}  # oldest first
        self._signed_in: dict[socket.socket, str] = {}
        self._per_address: dict[str, int] = {}

    def admit(self, sock: socket.socket, address: str) -> bool:
        """Count a new connection; False when its address holds its share."""
        counted = not is_loopback(address)
        if counted:
            held = self._per_address.get(address, 0)
            if held >= MAX_CONNECTIONS_PER_ADDRESS:
                return False
            self._per_address[address] = held + 1
        while len(self._anonymous) >= MAX_ANONYMOUS:
            oldest = next(iter(self._anonymous))
            log.debug("web mirror closed a connection that never showed the token (%s)", self._anonymous[oldest])
            self._forget(oldest)
            _shut(oldest)
        self._anonymous[sock] = address
        return True

    def sign_in(self, sock: socket.socket) -> None:
        """One of this connection's requests carried the token."""
        address = self._anonymous.pop(sock, None)
        if address is not None:
            self._signed_in[sock] = address

    def release(self, sock: socket.socket) -> None:
        """The connection ended (a no-op for one already closed to make room)."""
        self._forget(sock)

    def close_all(self) -> None:
        """Shut every connection, idle keep-alives too (the mirror is stopping)."""
        for sock in [*self._anonymous, *self._signed_in]:
            _shut(sock)

    def _forget(self, sock: socket.socket) -> None:
        address = self._anonymous.pop(sock, None) or self._signed_in.pop(sock, None)
        if address is None or is_loopback(address):
            return
        held = self._per_address.get(address, 1) - 1
        if held > 0:
            self._per_address[address] = held
        else:
            self._per_address.pop(address, None)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError as e:
        log.debug("socket already closed: %s", e)
