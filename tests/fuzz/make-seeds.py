#!/usr/bin/env python3
"""Write the seed corpus of fuzz-tper (tests/fuzz/corpus/).

Each seed is a sequence of operations in fuzz-tper.c's input format: a 6-byte
header (op, protocol, SP Specific, length) and, for IF-SEND, the payload.  The
seeds are real client exchanges, so that the fuzzer starts from deep inside
the protocol:  ./make-seeds.py [OUTDIR]
"""

import os
import struct
import sys

# Indexes into fuzz-tper.c's table of protocol / SP Specific pairs.
INFO_PROTOCOLS, INFO_CERT, DISCOVERY, BASE_COMID, GET_COMID, COMID_MGMT = range(6)
RAW = 6
OP_RECV = 0x01
OP_BIG = 0x10            # length window around OPAL_MAX_TRANSFER

XFER = 2048              # what Linux's sed-opal moves every time


def op(recv, target, length, payload=b"", protocol=0, sp=0, big=False):
    code = (OP_RECV if recv else 0) | target << 1 | (OP_BIG if big else 0)
    head = struct.pack(">BBHH", code, protocol, sp, length)
    if recv or big:     # a big send takes the rest of the input: none here
        return head
    return head + payload.ljust(length, b"\0")[:length]


def send(target, payload, length=XFER):
    return op(False, target, length, payload)


def recv(target, length=XFER):
    return op(True, target, length)


# ---- ComID management (protocol 0x02) requests: ComID, extension, request code
def comid_request(code):
    return struct.pack(">HHI", 0x07FE, 0, code)


# ---- tokens (Core 3.2.2)
CALL, END_OF_DATA = b"\xf8", b"\xf9"
START_LIST, END_LIST = b"\xf0", b"\xf1"
START_NAME, END_NAME = b"\xf2", b"\xf3"
STATUS_OK = START_LIST + b"\x00\x00\x00" + END_LIST


def uint(v):
    if v < 64:
        return bytes([v])                                   # tiny atom
    raw = v.to_bytes((v.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw                   # short atom, unsigned


def bstr(b):
    if len(b) < 16:
        return bytes([0xA0 | len(b)]) + b                   # short atom, bytes
    return bytes([0xD0 | len(b) >> 8, len(b) & 0xFF]) + b   # medium atom, bytes


def uid(v):
    return bstr(v.to_bytes(8, "big"))


def named(name, value):
    return START_NAME + name + value + END_NAME


SMUID = 0x00000000000000FF
PROPERTIES = 0x000000000000FF01
START_SESSION = 0x000000000000FF02
ADMIN_SP = 0x0000020500000001
SID = 0x0000000900000006


def method_call(invoking, method, args):
    return (CALL + uid(invoking) + uid(method) + START_LIST + b"".join(args) +
            END_LIST + END_OF_DATA + STATUS_OK)


def compacket(tokens, tsn=0, hsn=0):
    """ComPacket (20) + Packet (24) + Data SubPacket (12) + tokens padded to 4."""
    padded = tokens.ljust((len(tokens) + 3) & ~3, b"\0")
    sub = struct.pack(">6xHI", 0, len(tokens)) + padded
    pkt = struct.pack(">IIIxxHII", tsn, hsn, 0, 0, 0, len(sub)) + sub
    return struct.pack(">IHHIII", 0, 0x07FE, 0, 0, 0, len(pkt)) + pkt


def properties():
    host = [named(bstr(name.encode()), uint(value)) for name, value in (
        ("MaxComPacketSize", 2048), ("MaxPacketSize", 2028),
        ("MaxIndTokenSize", 1992), ("MaxPackets", 1), ("MaxSubpackets", 1),
        ("MaxMethods", 1))]
    host_props = named(uint(0), START_LIST + b"".join(host) + END_LIST)
    return compacket(method_call(SMUID, PROPERTIES, [host_props]))


def start_session(host_sn=0x41, sp=ADMIN_SP, write=1, challenge=None, authority=None):
    args = [uint(host_sn), uid(sp), uint(write)]
    if challenge is not None:
        args.append(named(uint(0), bstr(challenge)))        # HostChallenge
    if authority is not None:
        args.append(named(uint(3), uid(authority)))         # HostSigningAuthority
    return compacket(method_call(SMUID, START_SESSION, args))


# ---- whole sessions: the TPer numbers sessions from 0x1000 in order, so a
# seed can address the session it opened (HSN 0x41, as Linux).
GET, SET, ACTIVATE, REVERT, GENKEY = (0x0000000600000016, 0x0000000600000017,
                                      0x0000000600000203, 0x0000000600000202,
                                      0x0000000600000010)
LOCKING_SP = 0x0000020500000002
C_PIN_MSID, C_PIN_SID = 0x0000000B00008402, 0x0000000B00000001
ADMIN1, C_PIN_ADMIN1 = 0x0000000900010001, 0x0000000B00010001
RANGE1, MBRCONTROL, MBR = 0x0000080200030001, 0x0000080300000001, 0x0000080400000000
KEY_RANGE1 = 0x0000080600030001
MSID = b"msid-pin"               # fuzz-tper.c's config
END_SESSION = b"\xfa"


def in_session(tsn, tokens):
    return send(BASE_COMID, compacket(tokens, tsn, 0x41)) + recv(BASE_COMID)


def set_values(obj, cells):
    values = START_LIST + b"".join(named(uint(c), v) for c, v in cells) + END_LIST
    return method_call(obj, SET, [named(uint(1), values)])


def get_columns(obj, first, last):
    return method_call(obj, GET, [START_LIST + named(uint(3), uint(first)) +
                                  named(uint(4), uint(last)) + END_LIST])


def session(tsn, sp, authority=None, pin=None, calls=()):
    """StartSession, the calls in it, EndOfSession."""
    seed = send(BASE_COMID, start_session(sp=sp, challenge=pin, authority=authority))
    seed += recv(BASE_COMID)
    for c in calls:
        seed += in_session(tsn, c)
    return seed + in_session(tsn, END_SESSION)


OWNERSHIP = (session(0x1000, ADMIN_SP, calls=[get_columns(C_PIN_MSID, 3, 3)]) +
             session(0x1001, ADMIN_SP, SID, MSID,
                     [set_values(C_PIN_SID, [(3, bstr(b"sid"))]),
                      method_call(LOCKING_SP, ACTIVATE, [])]))

SEEDS = {
    "take-ownership-activate": OWNERSHIP,
    "lock-range-mbr": OWNERSHIP + session(0x1002, LOCKING_SP, ADMIN1, b"sid", [
        set_values(RANGE1, [(3, uint(64)), (4, uint(128)), (5, uint(1)), (7, uint(1))]),
        get_columns(RANGE1, 3, 9),
        set_values(MBRCONTROL, [(1, uint(1))]),
        method_call(MBR, SET, [named(uint(0), uint(0)), named(uint(1), bstr(b"PBA"))]),
        method_call(KEY_RANGE1, GENKEY, []),
        set_values(C_PIN_ADMIN1, [(3, bstr(b"admin1"))])]),
    "revert": OWNERSHIP + session(0x1002, ADMIN_SP, SID, b"sid",
                                  [method_call(ADMIN_SP, REVERT, [])]),
    "discovery": recv(DISCOVERY),
    "supported-protocols": recv(INFO_PROTOCOLS, 512) + recv(INFO_CERT, 512),
    "get-comid": recv(GET_COMID, 512),
    "verify-comid-valid": send(COMID_MGMT, comid_request(1), 512) + recv(COMID_MGMT, 512),
    "stack-reset": send(COMID_MGMT, comid_request(2), 512) + recv(COMID_MGMT, 512),
    "properties": send(BASE_COMID, properties()) + recv(BASE_COMID),
    "start-session-adminsp": recv(DISCOVERY) + send(BASE_COMID, start_session()) +
                             recv(BASE_COMID),
    "start-session-sid": send(BASE_COMID, start_session(challenge=b"password",
                                                        authority=SID)) + recv(BASE_COMID),
    # Length checks and raw values: zero-length send, oversized transfers,
    # a protocol that does not exist.
    "edges": (send(BASE_COMID, b"", 0) +
              op(True, DISCOVERY, 0x100, big=True) +         # OPAL_MAX_TRANSFER exactly
              op(True, DISCOVERY, 0x101, big=True) +         # one byte too many
              op(True, RAW, 512, protocol=0xEE, sp=0x07FE) +
              op(True, RAW, 19, protocol=0x01, sp=0x07FE) +  # shorter than a header
              op(False, BASE_COMID, 0x1ff, big=True)),       # send too long: last
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
