#!/usr/bin/env python3
"""Write the seed corpus of fuzz-tper (tests/fuzz/corpus/).

Each seed is fuzz-tper.c's input: one byte that picks the starting state, then
a sequence of operations, each a 6-byte header (op, protocol, SP Specific,
length) and, for IF-SEND, the payload.  The seeds are real client exchanges,
so that the fuzzer starts from deep inside the protocol, and most of them are
what an authenticated host does in the states that fuzz-tper.c builds (the
session it leaves open, PINs, ranges):  ./make-seeds.py [OUTDIR]

The committed corpus is these seeds and what a long run found that they do
not cover, minimized with -merge=1 (tests/fuzz/README.md).
"""

import os
import struct
import sys

# ---- starting states (fuzz-tper.c's enum State) and what they leave open
FACTORY, OWNED, ADMIN1_OPEN, USER1_OPEN, SUM_OPEN = range(5)
ADMIN1_TSN = 0x1003      # STATE_ADMIN1: Admin1's LockingSP session
USER1_TSN = 0x1004       # STATE_USER1: User1's
SUM_TSN = 0x1003         # STATE_SUM: User2's, owner of single-user Range1
NEXT_TSN = {FACTORY: 0x1000, OWNED: 0x1003, ADMIN1_OPEN: 0x1004, USER1_OPEN: 0x1005,
            SUM_OPEN: 0x1004}
AFTER_RESET_TSN = 0x1000     # any reset or power-on numbers sessions anew

MSID = b"msid-pin"       # fuzz-tper.c's config
PSID = b"psid-pin"
SID_PIN = b"sid"         # FUZZ_*_PIN in fuzz-tper.c
ADMIN1_PIN = b"admin1"
USER1_PIN = b"user1"
USER2_PIN = b"user2"

# Indexes into fuzz-tper.c's table of protocol / SP Specific pairs.
INFO_PROTOCOLS, INFO_CERT, DISCOVERY, BASE_COMID, GET_COMID, COMID_MGMT = range(6)
RAW = 6
EVENT = 7                # an event instead of a transfer: its number in byte 1
OP_RECV = 0x01
OP_BIG = 0x10            # length window around OPAL_MAX_TRANSFER
# What the device does to the engine (fuzz-tper.c's enum Event).
(EV_NONE, EV_CLOCK_SHORT, EV_CLOCK_LONG, EV_HARDWARE_RESET, EV_POWER_CYCLE, EV_MIGRATE,
 EV_SNAPSHOT, EV_POWER_ON, EV_PSID_REVERT, EV_MEDIA_READ, EV_MEDIA_WRITE, EV_STATUS) = range(12)
RANGE1_START, RANGE2_START = 1 << 20, 3 << 19    # fuzz-tper.c's, in states 2-4
SHADOW_BLOCKS = (128 << 20) // 512               # the MBR table, while shadowed

XFER = 2048              # what Linux's sed-opal receives every time


def op(recv, target, length, payload=b"", protocol=0, sp=0, big=False):
    code = (OP_RECV if recv else 0) | target << 1 | (OP_BIG if big else 0)
    head = struct.pack(">BBHH", code, protocol, sp, length)
    if recv or big:     # a big send takes the rest of the input: none here
        return head
    return head + payload.ljust(length, b"\0")[:length]


def send(target, payload, length=None):
    """IF-SEND of whole 512-byte blocks, as ATA moves them: small seeds."""
    if length is None:
        length = max(512, (len(payload) + 511) & ~511)
    return op(False, target, length, payload)


def recv(target, length=XFER):
    return op(True, target, length)


def event(ev):
    return struct.pack(">BBHH", EVENT << 1, ev, 0, 0)


def media(write, lba, log2_blocks=0):
    """A guest's read or write of 2^log2_blocks blocks at lba, through the media gate."""
    ev = EV_MEDIA_WRITE if write else EV_MEDIA_READ
    return struct.pack(">BBI", EVENT << 1, ev | log2_blocks << 4, lba)


# ---- ComID management (protocol 0x02) requests: ComID, extension, request code
def comid_request(code):
    return struct.pack(">HHI", 0x07FE, 0, code)


# ---- tokens (Core 3.2.2)
CALL, END_OF_DATA, END_SESSION = b"\xf8", b"\xf9", b"\xfa"
START_LIST, END_LIST = b"\xf0", b"\xf1"
START_NAME, END_NAME = b"\xf2", b"\xf3"
START_TRANSACTION, END_TRANSACTION = b"\xfb", b"\xfc"
STATUS_OK = START_LIST + b"\x00\x00\x00" + END_LIST


def uint(v):
    if v < 64:
        return bytes([v])                                   # tiny atom
    raw = v.to_bytes((v.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw                   # short atom, unsigned


def bstr(b):
    if len(b) < 16:
        return bytes([0xA0 | len(b)]) + b                   # short atom, bytes
    if len(b) < 2048:
        return bytes([0xD0 | len(b) >> 8, len(b) & 0xFF]) + b   # medium atom, bytes
    return b"\xe2" + len(b).to_bytes(3, "big") + b          # long atom, bytes


def uid(v):
    return bstr(v.to_bytes(8, "big"))


def named(name, value):
    return START_NAME + name + value + END_NAME


def lst(*items):
    return START_LIST + b"".join(items) + END_LIST


SMUID = 0x00000000000000FF
THIS_SP = 0x0000000000000001
PROPERTIES = 0x000000000000FF01
START_SESSION = 0x000000000000FF02
ADMIN_SP = 0x0000020500000001
LOCKING_SP = 0x0000020500000002

# Methods
(NEXT, GETACL, GENKEY, REVERTSP, GET, SET, AUTHENTICATE, REVERT, ACTIVATE, RANDOM,
 REACTIVATE, ERASE) = (
    0x0000000600000008, 0x000000060000000D, 0x0000000600000010, 0x0000000600000011,
    0x0000000600000016, 0x0000000600000017, 0x000000060000001C, 0x0000000600000202,
    0x0000000600000203, 0x0000000600000601, 0x0000000600000801, 0x0000000600000803)

# Authorities and their C_PIN rows
ANYBODY, ADMINS, SID, PSID_AUTH = (0x0000000900000001, 0x0000000900000002,
                                   0x0000000900000006, 0x000000090001FF01)
C_PIN_MSID, C_PIN_SID = 0x0000000B00008402, 0x0000000B00000001


def admin(n):
    return 0x0000000900010000 + n


def user(n):
    return 0x0000000900030000 + n


def c_pin_admin(n):
    return 0x0000000B00010000 + n


def c_pin_user(n):
    return 0x0000000B00030000 + n


USERS = 0x0000000900030000
ADMIN1, USER1, USER2 = admin(1), user(1), user(2)

# Locking SP objects
LOCKING_TABLE, GLOBAL_RANGE = 0x0000080200000000, 0x0000080200000001
MBRCONTROL, MBR = 0x0000080300000001, 0x0000080400000000
DATASTORE = 0x0000100100000000
AUTHORITY_TABLE = 0x0000000900000000
ACE_TABLE = 0x0000000800000000
ACCESS_CONTROL = 0x0000000700000000
LOCKING_INFO = 0x0000080100000001
TPER_INFO = 0x0000020100030001


def datastore(n):
    return DATASTORE if n == 1 else 0x0000100000000000 + (n << 32)


def locking_range(n):
    return GLOBAL_RANGE if n == 0 else 0x0000080200030000 + n


def key_range(n):
    return 0x0000080600000001 if n == 0 else 0x0000080600030000 + n


def ace_rdlocked(n):
    return 0x000000080003E000 + n


def ace_wrlocked(n):
    return 0x000000080003E800 + n


ACE_DATASTORE_SET_ALL = 0x000000080003FC01
ACE_MBRCONTROL_SET_DONETODOR = 0x000000080003F801
ACE_LOCKING_ADMINS_RANGESTARTTOLOR = 0x000000080003F001

# Locking table columns
(RANGE_START, RANGE_LENGTH, RLE, WLE, RL, WL, LOCK_ON_RESET, ACTIVE_KEY) = range(3, 11)
ENABLED = 5                                  # Authority
PIN = 3                                      # C_PIN
BOOLEAN_EXPR = 3                             # ACE
MBR_ENABLE, MBR_DONE, MBR_DONE_ON_RESET = 1, 2, 3

# Activate / Reactivate / RevertSP parameters (SUM FS, DSFS, Opal 5.1.3)
SUM_SELECTION_LIST, SUM_POLICY, SUM_ADMIN1_PIN, DS_REACTIVATE_SIZES = (
    0x060000, 0x060001, 0x060002, 0x060003)
DS_ACTIVATE_SIZES = 0x060002
KEEP_GLOBAL_RANGE_KEY = 0x060000

# ACE BooleanExpr terms (Core 5.1.3): half-UIDs of the Type table.
HALF_AUTHORITY_REF, HALF_BOOLEAN_ACE = b"\x00\x00\x0c\x05", b"\x00\x00\x04\x0e"
AND, OR, NOT = 0, 1, 2


def method_call(invoking, method, args=()):
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


def start_session(host_sn=0x41, sp=ADMIN_SP, write=1, challenge=None, authority=None,
                  timeout=None):
    args = [uint(host_sn), uid(sp), uint(write)]
    if challenge is not None:
        args.append(named(uint(0), bstr(challenge)))        # HostChallenge
    if authority is not None:
        args.append(named(uint(3), uid(authority)))         # HostSigningAuthority
    if timeout is not None:
        args.append(named(uint(5), uint(timeout)))          # SessionTimeout
    return compacket(method_call(SMUID, START_SESSION, args))


# ---- method calls
def set_values(obj, cells):
    values = START_LIST + b"".join(named(uint(c), v) for c, v in cells) + END_LIST
    return method_call(obj, SET, [named(uint(1), values)])


def set_bytes(table, where, data):
    return method_call(table, SET, [named(uint(0), uint(where)), named(uint(1), bstr(data))])


def get_columns(obj, first, last):
    return method_call(obj, GET, [START_LIST + named(uint(3), uint(first)) +
                                  named(uint(4), uint(last)) + END_LIST])


def get_bytes(table, first, last):
    return method_call(table, GET, [START_LIST + named(uint(1), uint(first)) +
                                    named(uint(2), uint(last)) + END_LIST])


def set_ace(ace, *terms):
    """ACE.Set of BooleanExpr, given in postfix: authority UIDs and AND/OR/NOT."""
    expr = b"".join(named(bstr(HALF_AUTHORITY_REF), uid(t)) if t > 2 else
                    named(bstr(HALF_BOOLEAN_ACE), uint(t)) for t in terms)
    return set_values(ace, [(BOOLEAN_EXPR, lst(expr))])


def authenticate(authority, pin):
    return method_call(THIS_SP, AUTHENTICATE, [uid(authority), named(uint(0), bstr(pin))])


def set_pin(cpin, pin):
    return set_values(cpin, [(PIN, bstr(pin))])


def range_cells(start, length, rle=1, wle=1, rl=0, wl=0):
    return [(RANGE_START, uint(start)), (RANGE_LENGTH, uint(length)), (RLE, uint(rle)),
            (WLE, uint(wle)), (RL, uint(rl)), (WL, uint(wl))]


def sum_args(selection=None, policy=None, admin1_pin=None, sizes=None, reactivate=False):
    args = []
    if selection is not None:
        args.append(named(uint(SUM_SELECTION_LIST), selection))
    if policy is not None:
        args.append(named(uint(SUM_POLICY), uint(policy)))
    if admin1_pin is not None:
        args.append(named(uint(SUM_ADMIN1_PIN), bstr(admin1_pin)))
    if sizes is not None:
        name = DS_REACTIVATE_SIZES if reactivate else DS_ACTIVATE_SIZES
        args.append(named(uint(name), lst(*(uint(s) for s in sizes))))
    return args


# ---- whole exchanges: the TPer numbers sessions in order from the state's NEXT_TSN,
# so a seed can address the session it opened (HSN 0x41, as Linux).  An input
# gets one save event (EV_MIGRATE, EV_SNAPSHOT, EV_POWER_ON): fuzz-tper.c skips
# the others.
def in_session(tsn, tokens, ev=EV_NONE):
    before = event(ev) if ev != EV_NONE else b""
    return before + send(BASE_COMID, compacket(tokens, tsn, 0x41)) + recv(BASE_COMID)


def calls(tsn, *tokens):
    return b"".join(in_session(tsn, t) for t in tokens)


def session(tsn, sp, authority=None, pin=None, calls=(), end=True, timeout=None):
    """StartSession, the calls in it, EndOfSession."""
    seed = send(BASE_COMID, start_session(sp=sp, challenge=pin, authority=authority,
                                          timeout=timeout))
    seed += recv(BASE_COMID)
    for c in calls:
        seed += in_session(tsn, c)
    return seed + (in_session(tsn, END_SESSION) if end else b"")


OWNERSHIP = (session(0x1000, ADMIN_SP, calls=[get_columns(C_PIN_MSID, 3, 3)]) +
             session(0x1001, ADMIN_SP, SID, MSID,
                     [set_values(C_PIN_SID, [(3, bstr(SID_PIN))]),
                      method_call(LOCKING_SP, ACTIVATE, [])]))
BOOT_BLOCK = bytes((i * 7 + 1) & 0xFF for i in range(510)) + b"\x55\xaa"

SEEDS = {}


def seed(state, name, data):
    SEEDS["%d-%s" % (state, name)] = bytes([state]) + data


# ---- factory drive: the anonymous host, and the first steps of an owner
seed(FACTORY, "take-ownership-activate", OWNERSHIP)
seed(FACTORY, "lock-range-mbr", OWNERSHIP + session(0x1002, LOCKING_SP, ADMIN1, SID_PIN, [
    set_values(locking_range(1), [(3, uint(64)), (4, uint(128)), (5, uint(1)), (7, uint(1))]),
    get_columns(locking_range(1), 3, 9),
    set_values(MBRCONTROL, [(1, uint(1))]),
    set_bytes(MBR, 0, b"PBA"),
    method_call(key_range(1), GENKEY),
    set_pin(c_pin_admin(1), b"admin1")]))
seed(FACTORY, "revert", OWNERSHIP + session(0x1002, ADMIN_SP, SID, SID_PIN,
                                            [method_call(ADMIN_SP, REVERT)]))
seed(FACTORY, "activate-sum", session(0x1000, ADMIN_SP, SID, MSID, [
    method_call(LOCKING_SP, ACTIVATE, sum_args(uid(LOCKING_TABLE))),     # needs 9 Users
    method_call(LOCKING_SP, ACTIVATE, sum_args(
        lst(uid(GLOBAL_RANGE), uid(locking_range(1)), uid(locking_range(2))), 1,
        sizes=[4096, 512]))]) +
     session(0x1001, LOCKING_SP, USER1, b"", [set_pin(c_pin_user(1), b"u1"),
                                               set_values(GLOBAL_RANGE, [(RL, uint(1))])]))
seed(FACTORY, "discovery", recv(DISCOVERY))
seed(FACTORY, "supported-protocols", recv(INFO_PROTOCOLS, 512) + recv(INFO_CERT, 512))
seed(FACTORY, "get-comid", recv(GET_COMID, 512))
seed(FACTORY, "verify-comid-valid",
     send(COMID_MGMT, comid_request(1), 512) + recv(COMID_MGMT, 512))
seed(FACTORY, "stack-reset", send(COMID_MGMT, comid_request(2), 512) + recv(COMID_MGMT, 512))
seed(FACTORY, "properties", send(BASE_COMID, properties()) + recv(BASE_COMID))
seed(FACTORY, "start-session-adminsp",
     recv(DISCOVERY) + send(BASE_COMID, start_session()) + recv(BASE_COMID))
seed(FACTORY, "start-session-sid",
     send(BASE_COMID, start_session(challenge=b"password", authority=SID)) + recv(BASE_COMID))
seed(FACTORY, "psid-revert", session(0x1000, ADMIN_SP, PSID_AUTH, PSID,
                                     [method_call(ADMIN_SP, REVERT)], end=False))
# Length checks and raw values: zero-length send, oversized transfers,
# a protocol that does not exist.
seed(FACTORY, "edges", (send(BASE_COMID, b"", 0) +
                        op(True, DISCOVERY, 0x100, big=True) +         # OPAL_MAX_TRANSFER
                        op(True, DISCOVERY, 0x101, big=True) +         # one byte too many
                        op(True, RAW, 512, protocol=0xEE, sp=0x07FE) +
                        op(True, RAW, 19, protocol=0x01, sp=0x07FE) +  # shorter than a header
                        op(False, BASE_COMID, 0x1ff, big=True)))       # send too long: last

# ---- owned and activated, no session open
T = NEXT_TSN[OWNED]
seed(OWNED, "admin1-ranges", session(T, LOCKING_SP, ADMIN1, SID_PIN, [
    set_values(locking_range(3), range_cells(1 << 20, 1 << 16, rl=1, wl=1)),
    set_values(locking_range(4), range_cells((1 << 20) + 8, 64)),      # overlaps Range3
    get_columns(locking_range(3), 0, 10),
    method_call(key_range(3), GENKEY),
    method_call(LOCKING_TABLE, NEXT, [named(uint(1), uint(4))])]))
seed(OWNED, "revert-adminsp", session(T, ADMIN_SP, SID, SID_PIN,
                                      [method_call(ADMIN_SP, REVERT)], end=False) +
     event(EV_SNAPSHOT))
seed(OWNED, "revertsp-keep-global", session(T, LOCKING_SP, ADMIN1, SID_PIN, [
    method_call(THIS_SP, REVERTSP, [named(uint(KEEP_GLOBAL_RANGE_KEY), uint(1))])], end=False))
seed(OWNED, "revert-lockingsp-as-sid", session(T, ADMIN_SP, SID, SID_PIN, [
    method_call(LOCKING_SP, REVERT)]))
seed(OWNED, "block-sid-then-sid", send(COMID_MGMT, b"\x01", 512) +
     op(False, RAW, 512, b"\x01", protocol=0x02, sp=0x0005) +
     session(T, ADMIN_SP, SID, SID_PIN, end=False) + event(EV_HARDWARE_RESET) +
     session(AFTER_RESET_TSN, ADMIN_SP, SID, SID_PIN, [get_columns(C_PIN_SID, 0, 7)]))
seed(OWNED, "tper-reset", op(False, RAW, 512, b"", protocol=0x02, sp=0x0004) +  # not enabled
     session(T, ADMIN_SP, SID, SID_PIN, [set_values(TPER_INFO, [(8, uint(1))])]) +
     session(T + 1, LOCKING_SP, ADMIN1, SID_PIN, [
         set_values(GLOBAL_RANGE, [(RLE, uint(1)), (LOCK_ON_RESET, lst(uint(0), uint(3)))]),
         set_values(MBRCONTROL, [(MBR_ENABLE, uint(1)), (MBR_DONE, uint(1)),
                                 (MBR_DONE_ON_RESET, lst(uint(0), uint(3)))])]) +
     op(False, RAW, 512, b"", protocol=0x02, sp=0x0004) +
     session(AFTER_RESET_TSN, LOCKING_SP, ADMIN1, SID_PIN, [
         get_columns(GLOBAL_RANGE, 7, 9), get_columns(MBRCONTROL, 1, 3)]))
seed(OWNED, "psid-revert-host", event(EV_STATUS) + event(EV_PSID_REVERT) + event(EV_STATUS) +
     recv(DISCOVERY) + session(AFTER_RESET_TSN, ADMIN_SP, SID, MSID, [
         get_columns(C_PIN_MSID, 3, 3)]))
seed(OWNED, "block-sid-migrate", op(False, RAW, 512, b"\x00", protocol=0x02, sp=0x0005) +
     event(EV_MIGRATE) + session(T, ADMIN_SP, SID, SID_PIN) + event(EV_POWER_CYCLE) +
     session(AFTER_RESET_TSN, ADMIN_SP, SID, SID_PIN))
seed(OWNED, "authenticate-wrong-pin-tries", session(T, LOCKING_SP, calls=[
    authenticate(ADMIN1, b"wrong"), authenticate(ADMIN1, b"wrong"),
    authenticate(USER1, b""), authenticate(ADMIN1, SID_PIN),
    get_columns(c_pin_admin(1), 0, 7)]))
seed(OWNED, "session-timeout", session(T, ADMIN_SP, SID, SID_PIN, timeout=1000, end=False) +
     in_session(T, get_columns(C_PIN_MSID, 3, 3), ev=EV_CLOCK_SHORT) +
     in_session(T, get_columns(C_PIN_MSID, 3, 3)))
seed(OWNED, "power-on-then-unlock", event(EV_POWER_ON) +
     session(AFTER_RESET_TSN, LOCKING_SP, ADMIN1, SID_PIN, [
         set_values(GLOBAL_RANGE, [(RLE, uint(1)), (RL, uint(1)),
                                   (LOCK_ON_RESET, lst(uint(0), uint(3)))])]) +
     event(EV_POWER_CYCLE) +
     session(AFTER_RESET_TSN, LOCKING_SP, ADMIN1, SID_PIN,
             [set_values(GLOBAL_RANGE, [(RL, uint(0))])]))
seed(OWNED, "random-getacl", session(T, LOCKING_SP, ADMIN1, SID_PIN, [
    method_call(THIS_SP, RANDOM, [uint(32)]),
    method_call(ACCESS_CONTROL, GETACL, [uid(locking_range(1)), uid(SET)]),
    get_columns(LOCKING_INFO, 0, 10)]))

# ---- Admin1's session open (TSN 0x1003): what an administrator does
A = ADMIN1_TSN
seed(ADMIN1_OPEN, "set-ranges", calls(A,
    set_values(locking_range(3), range_cells(1 << 18, 1 << 12)),
    set_values(locking_range(1), [(RL, uint(0)), (WL, uint(0))]),
    set_values(locking_range(2), [(RANGE_LENGTH, uint(0))]),
    set_values(locking_range(3), [(LOCK_ON_RESET, lst(uint(0), uint(1), uint(3)))]),
    set_values(locking_range(3), [(ACTIVE_KEY, uid(key_range(5)))]),
    get_columns(locking_range(1), 0, 10)))
seed(ADMIN1_OPEN, "ace-booleanexpr", calls(A,
    set_ace(ace_rdlocked(2), USER2, ADMINS, OR),
    set_ace(ace_wrlocked(2), USER2, USER1, AND, ADMINS, OR),
    set_ace(ACE_DATASTORE_SET_ALL, USER1, NOT),
    set_ace(ACE_MBRCONTROL_SET_DONETODOR, USER1, USER2, USER1, OR, OR),
    get_columns(ace_wrlocked(2), 0, 4)))
seed(ADMIN1_OPEN, "genkey-erase", calls(A,
    method_call(key_range(1), GENKEY),
    method_call(key_range(0), GENKEY),
    method_call(locking_range(2), ERASE),
    get_columns(key_range(1), 0, 4)) + event(EV_SNAPSHOT))
seed(ADMIN1_OPEN, "mbr-datastore-where", calls(A,
    set_bytes(MBR, 512, BOOT_BLOCK),
    set_bytes(MBR, (128 << 20) - 4, b"tail"),
    set_bytes(MBR, 128 << 20, b"x"),                                   # one past the end
    set_bytes(DATASTORE, 4096, bytes(range(200))),
    get_bytes(DATASTORE, 0, 255),
    get_bytes(MBR, 510, 511),
    set_values(MBRCONTROL, [(MBR_DONE, uint(1)), (MBR_DONE_ON_RESET, lst(uint(1)))])) +
     event(EV_HARDWARE_RESET) + event(EV_SNAPSHOT))
seed(ADMIN1_OPEN, "media", (
    media(False, 0, 3) + media(True, 0) +                              # shadow MBR
    media(False, SHADOW_BLOCKS - 2, 2) +                               # out of the shadow
    media(False, RANGE1_START, 4) + media(True, RANGE1_START + 4095) +  # Range1: locked
    media(False, RANGE1_START + 4095, 1) +                             # into the global range
    media(True, RANGE2_START, 13) +                                    # Range2: unlocked
    media(False, (2 << 20) - 1, 1) + media(False, 2 << 20) +           # past the end
    calls(A, set_values(locking_range(1), [(RL, uint(0))]),
          set_values(MBRCONTROL, [(MBR_DONE, uint(1))]),
          set_values(GLOBAL_RANGE, [(WL, uint(1))])) +
    media(False, RANGE1_START, 15) + media(True, 0, 1) + media(True, RANGE2_START + 8191, 1)))
seed(ADMIN1_OPEN, "mbr-big-write", in_session(A, set_bytes(MBR, 4096, bytes(6000))))
seed(ADMIN1_OPEN, "get-c-pin", calls(A,
    get_columns(c_pin_admin(1), 0, 7),
    get_columns(c_pin_user(1), 3, 3),
    set_pin(c_pin_user(3), b"user3"),
    set_values(user(3), [(ENABLED, uint(1))]),
    get_columns(user(3), 0, 10),
    method_call(AUTHORITY_TABLE, NEXT, [])))
seed(ADMIN1_OPEN, "authenticate-second", calls(A,
    authenticate(USER1, USER1_PIN),
    set_values(locking_range(1), [(RL, uint(0))]),
    authenticate(USER2, USER2_PIN)))
seed(ADMIN1_OPEN, "revertsp", calls(A,
    method_call(THIS_SP, REVERTSP, [])) + session(
        NEXT_TSN[ADMIN1_OPEN], ADMIN_SP, SID, SID_PIN, [get_columns(LOCKING_SP, 0, 7)]))
seed(ADMIN1_OPEN, "snapshot-then-admin1", event(EV_SNAPSHOT) + in_session(A, END_SESSION) +
     session(AFTER_RESET_TSN, LOCKING_SP, ADMIN1, ADMIN1_PIN, [
         set_values(locking_range(1), [(RL, uint(0)), (WL, uint(0))]),
         get_columns(locking_range(1), 7, 8)]))
seed(ADMIN1_OPEN, "migrate-mid-session", calls(A,
    set_values(locking_range(2), [(RL, uint(1))])) +
     in_session(A, get_columns(locking_range(2), 7, 7), ev=EV_MIGRATE) +
     in_session(A, END_SESSION))
seed(ADMIN1_OPEN, "sid-alongside", session(NEXT_TSN[ADMIN1_OPEN], ADMIN_SP, SID, SID_PIN,
    [method_call(LOCKING_SP, REVERT)], end=False) + in_session(A, get_columns(MBRCONTROL, 0, 3)))
seed(ADMIN1_OPEN, "malformed-in-session", in_session(A, CALL + uid(GLOBAL_RANGE) + uid(SET) +
                                                      START_LIST + START_NAME))


# Transactions (Core 3.2.6): alone in a packet, or around a call in its packet.
def txn(token, status=0):
    return token + uint(status)


seed(ADMIN1_OPEN, "transaction-commit", calls(A,
    txn(START_TRANSACTION),
    set_values(locking_range(3), range_cells(1 << 18, 1 << 12, rl=1)),
    set_bytes(MBR, 1024, BOOT_BLOCK),
    set_bytes(DATASTORE, 0, b"committed"),
    set_pin(c_pin_user(3), b"user3"),
    txn(END_TRANSACTION)) +
     media(False, 1 << 18, 2) + media(False, 2, 1) +
     session(NEXT_TSN[ADMIN1_OPEN], ADMIN_SP, SID, SID_PIN, [get_columns(LOCKING_SP, 0, 7)]))
seed(ADMIN1_OPEN, "transaction-nested-abort", calls(A,
    txn(START_TRANSACTION),
    method_call(key_range(1), GENKEY),
    txn(START_TRANSACTION) + set_values(locking_range(1), [(RL, uint(0))]),
    txn(START_TRANSACTION),                                             # past the limit
    set_bytes(DATASTORE, 4096, bytes(300)) + txn(END_TRANSACTION, 1),
    authenticate(USER1, b"wrong"),
    method_call(THIS_SP, REVERTSP, [])) +                              # ends it all
     media(False, RANGE1_START, 8) + event(EV_STATUS))
seed(ADMIN1_OPEN, "transaction-across-events", calls(A,
    txn(START_TRANSACTION) + set_values(MBRCONTROL, [(MBR_DONE, uint(1))]),
    txn(END_TRANSACTION, 0) + txn(START_TRANSACTION)) +
     session(NEXT_TSN[ADMIN1_OPEN], ADMIN_SP, SID, SID_PIN) +         # SP_BUSY
     in_session(A, set_bytes(MBR, 0, BOOT_BLOCK), ev=EV_MIGRATE) +
     in_session(A, txn(END_TRANSACTION)) +
     calls(A, txn(START_TRANSACTION)) + event(EV_HARDWARE_RESET) + media(False, 0, 1))

# ---- User1's session open (TSN 0x1004): what a user may and may not do
U = USER1_TSN
seed(USER1_OPEN, "unlock-range1", calls(U,
    set_values(locking_range(1), [(RL, uint(0)), (WL, uint(0))]),
    get_columns(locking_range(1), 3, 10),
    set_values(locking_range(1), [(RANGE_START, uint(0))]),            # not User1's
    set_values(locking_range(2), [(RL, uint(1))])))                    # not User1's
seed(USER1_OPEN, "datastore", calls(U,
    get_bytes(DATASTORE, 0, 63),
    set_bytes(DATASTORE, 0, b"user1 was here"),
    get_bytes(datastore(2), 0, 0)))
seed(USER1_OPEN, "own-pin-genkey", calls(U,
    set_pin(c_pin_user(1), b"new user1 pin"),
    get_columns(c_pin_user(1), 0, 7),
    method_call(key_range(1), GENKEY),
    set_values(MBRCONTROL, [(MBR_DONE, uint(1))]),
    method_call(THIS_SP, REVERTSP, [])))
seed(USER1_OPEN, "power-on-unlock-range1", event(EV_POWER_ON) + event(EV_CLOCK_LONG) +
     session(AFTER_RESET_TSN, LOCKING_SP, USER1, USER1_PIN, [
         get_columns(locking_range(1), 7, 8),
         set_values(locking_range(1), [(RL, uint(0)), (WL, uint(0))])]) +
     event(EV_HARDWARE_RESET) + event(EV_POWER_CYCLE))
seed(USER1_OPEN, "admin1-after-user1", in_session(U, END_SESSION) + session(
    NEXT_TSN[USER1_OPEN], LOCKING_SP, ADMIN1, ADMIN1_PIN,
    [set_values(USERS + 1, [(ENABLED, uint(0))])]) + event(EV_POWER_CYCLE))

# ---- Single User Mode, the owner of Range1 (User2) in session (TSN 0x1003)
S = SUM_TSN
seed(SUM_OPEN, "owner-range1", calls(S,
    set_values(locking_range(1), range_cells(16384, 8192)),
    set_values(locking_range(1), [(LOCK_ON_RESET, lst(uint(0)))]),
    method_call(key_range(1), GENKEY),
    method_call(locking_range(1), ERASE),
    get_columns(locking_range(1), 0, 10),
    set_values(locking_range(2), [(RL, uint(1))])) + event(EV_SNAPSHOT))
seed(SUM_OPEN, "lockinginfo", calls(S,
    method_call(LOCKING_INFO, GET, [lst(named(uint(3), uint(0)))]),
    method_call(LOCKING_INFO, GET, [lst(named(uint(3), uint(0x60000)),
                                        named(uint(4), uint(0x60001)))]),
    get_columns(locking_range(1), 0, 0x60001)) +
     media(False, RANGE1_START, 3) + media(True, RANGE1_START + 8191, 1))
seed(SUM_OPEN, "owner-datastores", calls(S,
    set_bytes(datastore(2), 0, b"two"),
    get_bytes(datastore(2), 0, 15),
    set_bytes(DATASTORE, (1 << 20) - 2, b"end"),
    set_ace(0x000000080003FC03, USER2)))                               # DataStore2's Set ACE
seed(SUM_OPEN, "admin1-reactivate", in_session(S, END_SESSION) + session(
    NEXT_TSN[SUM_OPEN], LOCKING_SP, ADMIN1, SID_PIN, [
        method_call(locking_range(1), ERASE),
        method_call(THIS_SP, REACTIVATE, sum_args(lst(uid(locking_range(2)), uid(GLOBAL_RANGE)),
                                                  1, b"new-admin1", [8192, 1024],
                                                  reactivate=True))], end=False) +
     session(NEXT_TSN[SUM_OPEN] + 1, LOCKING_SP, ADMIN1, b"new-admin1",
             [get_columns(locking_range(2), 0, 10)]))
seed(SUM_OPEN, "admin1-alongside-readonly",
     send(BASE_COMID, start_session(sp=LOCKING_SP, write=0, challenge=SID_PIN,
                                    authority=ADMIN1)) + recv(BASE_COMID) +
     in_session(S, set_values(locking_range(1), [(RL, uint(0))])) +
     event(EV_MIGRATE) + in_session(S, get_columns(c_pin_user(2), 0, 7)))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
