"""The base protocol's framing (`Content-Length: N`, an empty line, N bytes), read so that a
bad frame costs that frame only.

pygls' reading loop waits for a line that is exactly `Content-Length: N\\r\\n`: after a wrong
length, a cut body or a header ended by a bare LF, the bodies that follow (JSON, with no line
break) are read as parts of header lines and no message is recognised again, silently. Here:

- header lines may end with CRLF or LF; header names are case-insensitive; headers other than
  Content-Length are ignored;
- anything that is not a header block is skipped up to the next `Content-Length: N` line;
- a body holding a `Content-Length: N` line ends there: valid JSON cannot hold one (a line
  break may not appear inside a JSON string, and those words are no JSON outside one), so the
  frame's length was wrong or its body cut short, and the frame is dropped. This is looked for
  as the body arrives, so a length too large does not wait for bytes that never come;
- a declared length over `MAX_LENGTH` is dropped the same way, without buffering it.

What is dropped or skipped is reported (`report`); nothing of JSON-RPC or the LSP is known here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

# The largest message read. The largest file checked is 10 MB (`files.SIZE_LIMIT`); as a JSON
# string in a `didOpen` it can take several times that (escapes).
MAX_LENGTH = 256 * 1024 * 1024
MAX_HEADER = 8 * 1024  # a header block longer than this is not one
CHUNK = 64 * 1024  # bytes asked for per read

_HEADER = re.compile(rb"([!-9;-~]+):[ \t]*([^\r\n]*?)[ \t]*\r?\n")  # a token, ':', a value
# The line a frame starts with: where reading starts again after a bad frame.
_CONTENT_LENGTH_LINE = re.compile(rb"content-length:[ \t]*\d+[ \t]*\r?\n", re.IGNORECASE)
_SLACK = 64  # the longest such line looked for (kept back when skipping, in case a read cut it)


class Frames:
    """Cuts a byte stream into message bodies: `feed` what was read, then take `next()` until None."""

    def __init__(self, report: Callable[[str], None], max_length: int = MAX_LENGTH) -> None:
        self.report = report
        self.max_length = max_length
        self._buffer = bytearray()
        self._length: int | None = None  # of the body being read, once its header is read
        self._searched = 0  # how far the body being read was searched for a header line
        self._skipping: str | None = None  # why bytes are being skipped (to the next frame)
        self._skipped = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next(self) -> bytes | None:
        """The next complete body; None when more bytes are needed."""
        while True:
            if self._skipping is not None:
                if not self._resynchronise():
                    return None
            elif self._length is None:
                if not self._read_header():
                    return None
            else:
                body = self._read_body()
                if body is not None or self._length is not None:
                    return body  # (else the frame was dropped: go on)

    def end(self) -> None:
        """The stream ended: say what was left unread."""
        if self._skipping is not None:
            self.report(f"skipped {self._skipped + len(self._buffer)} bytes to the end ({self._skipping})")
        elif self._buffer:
            self.report(f"the stream ended inside a message ({len(self._buffer)} bytes unread)")

    def _read_header(self) -> bool:
        """Read the header block at the start of the buffer; False when more bytes are needed."""
        buffer, position, length = self._buffer, 0, None
        while True:
            end = buffer.find(b"\n", position)
            if end < 0 or end > MAX_HEADER:
                if len(buffer) > MAX_HEADER:
                    self._skip("a header line too long")
                    return True
                return False
            line = bytes(buffer[position : end + 1])
            if not line.strip():
                if length is not None:
                    break
                if position == 0:  # a stray line break between messages
                    del buffer[: end + 1]
                    continue
                self._skip("a header without Content-Length")
                return True
            header = _HEADER.fullmatch(line)
            if header is None:
                self._skip("bytes that are not a header")
                return True
            if header.group(1).lower() == b"content-length":
                if not header.group(2).isdigit():
                    self._skip("a Content-Length that is no number")
                    return True
                length = int(header.group(2))
            position = end + 1
        del buffer[: end + 1]
        if length > self.max_length:
            self._skip(f"a message of {length} bytes, over the limit of {self.max_length}", 0)
            return True
        self._length, self._searched = length, 0
        return True

    def _read_body(self) -> bytes | None:
        """The body once complete; else None (more bytes are needed, or the frame was dropped)."""
        buffer, length = self._buffer, self._length
        assert length is not None
        header = self._header_line(self._searched, min(len(buffer), length + _SLACK))
        if header is not None and header < length:
            self.report(
                f"dropped a message whose Content-Length ({length}) was wrong: "
                f"a header line comes after {header} bytes of its body"
            )
            del buffer[:header]
            self._length = None
            return None
        if len(buffer) < length:
            self._searched = len(buffer)
            return None
        with memoryview(buffer) as view:
            body = bytes(view[:length])  # one copy, not two
        del buffer[:length]
        self._length = None
        return body

    def _header_line(self, start: int, end: int) -> int | None:
        """Where the first Content-Length line ending in buffer[start:end] starts. Only line
        breaks are looked for (a fast scan: a body usually has none), then the line before."""
        buffer = self._buffer
        while (newline := buffer.find(b"\n", start, end)) >= 0:
            start = newline + 1
            last = newline - 1
            while last > 0 and buffer[last] in b"\r \t":
                last -= 1
            if last < 0 or not 48 <= buffer[last] <= 57:  # the line does not end with a number
                continue
            found = _CONTENT_LENGTH_LINE.search(buffer, max(0, newline - _SLACK), newline + 1)
            if found is not None:
                return found.start()
        return None

    def _skip(self, why: str, start: int = 1) -> None:
        """Skip to the next Content-Length line after `start` (not the line just refused)."""
        self._skipping, self._skipped, self._length = why, start, None
        del self._buffer[:start]

    def _resynchronise(self) -> bool:
        """Drop bytes up to the next Content-Length line; False when more bytes are needed."""
        buffer = self._buffer
        found = _CONTENT_LENGTH_LINE.search(buffer)
        if found is None:
            drop = max(0, len(buffer) - _SLACK)
            self._skipped += drop
            del buffer[:drop]
            return False
        self.report(f"skipped {self._skipped + found.start()} bytes ({self._skipping})")
        del buffer[: found.start()]
        self._skipping = None
        return True


async def serve(
    read: Callable[[], Awaitable[bytes]],
    receive: Callable[[bytes], None],
    report: Callable[[str], None],
    stopped: Callable[[], bool],
) -> None:
    """Read with `read()` (b"" at the end of the stream) and hand each message's body to
    `receive`, until the stream ends or `stopped()`; what is dropped goes to `report`."""
    frames = Frames(report)
    while not stopped():
        data = await read()
        if not data:
            frames.end()
            return
        frames.feed(data)
        while (body := frames.next()) is not None:
            try:
                receive(body)
            except BrokenPipeError:
                raise  # the client is gone: the server stops
            except Exception:  # one message must not stop the server
                logging.getLogger(__name__).exception("error handling a message")
                report("a message could not be handled (the server's log has why)")
            if stopped():
                return
