"""What the benchmark scripts share: a free port, and waiting for a server in a VM."""
import socket
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_ok(port, deadline, alive=None):
    """True at the first HTTP 200 from 127.0.0.1:port, False at the deadline, or as soon
    as alive() (when given: is what boots the server still running?) says False.

    QEMU's user networking accepts a connection before the guest is up and holds it, so
    every attempt gets short timeouts; once the guest's network is up an attempt that
    finds nothing listening ends at once (the guest resets it), so polling every 10 ms
    sees the server within about that."""
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.settimeout(0.3)
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                reply = s.recv(64)
                if reply.startswith(b"HTTP/1.") and b" 200 " in reply[:16]:
                    return True
        except OSError:
            pass
        time.sleep(0.01)
    return False
