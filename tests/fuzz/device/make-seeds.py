#!/usr/bin/env python3
"""Write seed inputs for QEMU's generic-fuzz target on ide-opal-hd.

generic-fuzz (QEMU's tests/qtest/fuzz/generic_fuzz.c) reads its input as
operations separated by "FUZZ": port and MMIO accesses to the matched memory
regions, PCI config accesses, and DMA patterns, which fill guest memory
whenever the device reads it (in order, one pattern per read).  Random bytes
rarely build an AHCI command list, a command table and a TCG ComPacket that
all agree, so these seeds drive the drive the way a host does - Level 0
Discovery, Properties, sessions, ownership, a locked range, the logs, NCQ -
and the fuzzer mutates from there.

    ./make-seeds.py q35|pc OUTDIR

q35 seeds talk to the ICH9 AHCI controller (QEMU_FUZZ_OBJECTS='*ahci*': the
only MMIO region is ABAR); pc seeds to PIIX IDE's legacy ports and bus master
(QEMU_FUZZ_OBJECTS='*ide* *bmdma*').  The drive runs with msid=msid-pin and
psid=psid-pin (scripts/fuzz-device.sh), so seeds can take ownership and
revert: the TPer's state outlives generic-fuzz's machine reset, and every
seed that changes it reverts it at its end.
"""

import os
import struct
import sys

SEP = b"FUZZ"

# ---- generic-fuzz operations (enum cmds in generic_fuzz.c; C struct layouts)
OP_IN, OP_OUT, OP_READ, OP_WRITE = 0, 1, 2, 3
OP_ADD_DMA_PATTERN, OP_CLEAR_DMA_PATTERNS = 7, 8
BYTE, WORD, LONG = 0, 1, 2


def op_out(base, offset, value, size=BYTE):
    return bytes([OP_OUT]) + struct.pack("<BBHI", size, base, offset, value)


def op_in(base, offset, size=BYTE):
    return bytes([OP_IN]) + struct.pack("<BBH", size, base, offset)


def op_write(offset, value, size=LONG, base=0):
    return bytes([OP_WRITE]) + struct.pack("<BBxxIQ", size, base, offset, value)


def op_read(offset, size=LONG, base=0):
    return bytes([OP_READ]) + struct.pack("<BBxxI", size, base, offset)


def dma(*patterns):
    """Forget the old patterns; the device's next reads get these, in turn."""
    ops = [bytes([OP_CLEAR_DMA_PATTERNS])]
    for p in patterns:
        ops.append(bytes([OP_ADD_DMA_PATTERN, 0, 0]) + p)
    return ops


# ---- TCG Storage encoding (Core 3.2.2, 3.2.3)
CALL, END_OF_DATA, END_OF_SESSION = b"\xf8", b"\xf9", b"\xfa"
START_LIST, END_LIST = b"\xf0", b"\xf1"
START_NAME, END_NAME = b"\xf2", b"\xf3"
STATUS_OK = START_LIST + b"\x00\x00\x00" + END_LIST
BASE_COMID, DISCOVERY_COMID = 0x07FE, 0x0001
PROTO_INFO, PROTO_TCG, PROTO_COMID_MGMT = 0x00, 0x01, 0x02

SMUID, THIS_SP = 0xFF, 0x01
PROPERTIES, START_SESSION = 0xFF01, 0xFF02
ADMIN_SP, LOCKING_SP = 0x0000020500000001, 0x0000020500000002
SID, PSID, ADMIN1 = 0x0000000900000006, 0x000000090001FF01, 0x0000000900010001
C_PIN_MSID, C_PIN_SID, C_PIN_ADMIN1 = 0x0000000B00008402, 0x0000000B00000001, 0x0000000B00010001
GET, SET, AUTHENTICATE = 0x0000000600000016, 0x0000000600000017, 0x000000060000001C
REVERT, ACTIVATE, GENKEY = 0x0000000600000202, 0x0000000600000203, 0x0000000600000010
RANGE1, MBRCONTROL, MBR = 0x0000080200030001, 0x0000080300000001, 0x0000080400000000
KEY_RANGE1, DATASTORE = 0x0000080600030001, 0x0000100100000000
MSID_PIN, PSID_PIN = b"msid-pin", b"psid-pin"


def uint(v):
    if v < 64:
        return bytes([v])
    raw = v.to_bytes((v.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def bstr(b):
    if len(b) < 16:
        return bytes([0xA0 | len(b)]) + b
    return bytes([0xD0 | len(b) >> 8, len(b) & 0xFF]) + b


def uid(v):
    return bstr(v.to_bytes(8, "big"))


def named(name, value):
    return START_NAME + name + value + END_NAME


def call(invoking, method, args=()):
    return (CALL + uid(invoking) + uid(method) + START_LIST + b"".join(args) +
            END_LIST + END_OF_DATA + STATUS_OK)


def compacket(tokens, tsn=0, hsn=0):
    padded = tokens.ljust((len(tokens) + 3) & ~3, b"\0")
    sub = struct.pack(">6xHI", 0, len(tokens)) + padded
    pkt = struct.pack(">IIIxxHII", tsn, hsn, 0, 0, 0, len(sub)) + sub
    return struct.pack(">IHHIII", 0, BASE_COMID, 0, 0, 0, len(pkt)) + pkt


def properties():
    host = [named(bstr(n.encode()), uint(v)) for n, v in (
        ("MaxComPacketSize", 2048), ("MaxPacketSize", 2028),
        ("MaxIndTokenSize", 1992), ("MaxPackets", 1), ("MaxSubpackets", 1),
        ("MaxMethods", 1))]
    return compacket(call(SMUID, PROPERTIES,
                          [named(uint(0), START_LIST + b"".join(host) + END_LIST)]))


def start_session(sp, authority=None, pin=None, write=1):
    args = [uint(0x41), uid(sp), uint(write)]
    if pin is not None:
        args.append(named(uint(0), bstr(pin)))
    if authority is not None:
        args.append(named(uint(3), uid(authority)))
    return compacket(call(SMUID, START_SESSION, args))


def set_values(obj, cells):
    values = START_LIST + b"".join(named(uint(c), v) for c, v in cells) + END_LIST
    return call(obj, SET, [named(uint(1), values)])


def get_columns(obj, first, last):
    return call(obj, GET, [START_LIST + named(uint(3), uint(first)) +
                           named(uint(4), uint(last)) + END_LIST])


def comid_request(code):
    return struct.pack(">HHI", BASE_COMID, 0, code)


# ---- what a host does, as (kind, ...) steps that each transport renders
def send(payload, proto=PROTO_TCG, comid=BASE_COMID, dma=False):
    return ("send", proto, comid, payload, dma)


def recv(proto=PROTO_TCG, comid=BASE_COMID, blocks=1, dma=False):
    return ("recv", proto, comid, blocks, dma)


def session(tsn, sp, authority=None, pin=None, calls=(), dma=False):
    """StartSession, the calls in it and EndOfSession, each with its response.
    The TPer numbers sessions from 0x1000 in order, so a seed can name its own."""
    steps = [send(start_session(sp, authority, pin), dma=dma), recv(dma=dma)]
    for c in list(calls) + [END_OF_SESSION]:
        steps += [send(compacket(c, tsn, 0x41), dma=dma), recv(dma=dma)]
    return steps


def psid_revert(tsn):
    return session(tsn, ADMIN_SP, PSID, PSID_PIN, [call(ADMIN_SP, REVERT)], dma=True)


OWNERSHIP = (session(0x1000, ADMIN_SP, calls=[get_columns(C_PIN_MSID, 3, 3)], dma=True) +
             session(0x1001, ADMIN_SP, SID, MSID_PIN,
                     [set_values(C_PIN_SID, [(3, bstr(b"sid"))]),
                      call(LOCKING_SP, ACTIVATE)], dma=True))
# Locking_Range1 beyond the shadow MBR (128 MiB = 262144 blocks, once enabled).
R1_START, R1_LEN = 300000, 1024

SCENARIOS = {
    "discovery": [("identify",), recv(PROTO_TCG, DISCOVERY_COMID),
                  recv(PROTO_TCG, DISCOVERY_COMID, dma=True)],
    "protocols": [recv(PROTO_INFO, 0), recv(PROTO_INFO, 1), recv(PROTO_COMID_MGMT, 0)],
    "comid-mgmt": [send(comid_request(1), PROTO_COMID_MGMT),
                   recv(PROTO_COMID_MGMT),
                   send(comid_request(2), PROTO_COMID_MGMT, dma=True),
                   recv(PROTO_COMID_MGMT, dma=True),
                   ("nondata", PROTO_TCG, BASE_COMID, False),
                   ("nondata", PROTO_TCG, BASE_COMID, True)],
    "properties": [send(properties()), recv()],
    "properties-dma": [send(properties(), dma=True), recv(dma=True)],
    "session-msid": session(0x1000, ADMIN_SP, calls=[get_columns(C_PIN_MSID, 3, 3)]),
    "ownership-revert": OWNERSHIP + psid_revert(0x1002),
    "range-mbr-datastore": OWNERSHIP + session(0x1002, LOCKING_SP, ADMIN1, b"sid", [
        set_values(RANGE1, [(3, uint(R1_START)), (4, uint(R1_LEN)), (5, uint(1)), (6, uint(1)),
                            (7, uint(1)), (8, uint(1))]),
        get_columns(RANGE1, 3, 9),
        set_values(MBRCONTROL, [(1, uint(1))]),
        call(MBR, SET, [named(uint(0), uint(0)), named(uint(1), bstr(b"PBA"))]),
        call(DATASTORE, SET, [named(uint(0), uint(0)), named(uint(1), bstr(b"data"))]),
        call(DATASTORE, GET, [START_LIST + named(uint(1), uint(0)) +
                              named(uint(2), uint(3)) + END_LIST]),
        call(KEY_RANGE1, GENKEY),
        set_values(C_PIN_ADMIN1, [(3, bstr(b"admin1"))])], dma=True) +
        [("rw", False, R1_START, 1), ("rw", True, R1_START + 100, 2), ("rw", False, 0, 1),
         ("rw", True, 64, 1), ("ncq", False, R1_START + 8, 1, 0),
         ("ncq", True, R1_START + 16, 1, 1), ("log", 0x10, 0, 1),
         ("rw", False, R1_START + R1_LEN, 1)] +
        psid_revert(0x1003),
    "logs": [("log", 0x00, 0, 1), ("log", 0x10, 0, 1), ("log", 0x30, 0, 1),
             ("log", 0x30, 6, 1), ("log", 0x30, 3, 2)],
    "media": [("rw", True, 0, 8), ("rw", False, 0, 8),
              ("ncq", False, 16, 4, 0), ("ncq", True, 32, 4, 1), ("log", 0x10, 0, 1)],
}

# ---- AHCI (q35): guest memory layout and registers
CLB, FB, CTBA, DATA = 0x100000, 0x101000, 0x102000, 0x110000
PORT0 = 0x100
PxCLB, PxFB, PxIS, PxCMD, PxSACT, PxCI = 0x00, 0x08, 0x10, 0x18, 0x34, 0x38


def fis_h2d(cmd, feature=0, lba=0, count=0, device=0x40, feature_hi=0):
    return struct.pack("<BBBBBBBBBBBBBBBB4x", 0x27, 0x80, cmd, feature,
                       lba & 0xFF, lba >> 8 & 0xFF, lba >> 16 & 0xFF, device,
                       lba >> 24 & 0xFF, lba >> 32 & 0xFF, lba >> 40 & 0xFF, feature_hi,
                       count & 0xFF, count >> 8 & 0xFF, 0, 0)


def cmd_header(write):
    # CFL 5 dwords, W, PRDTL 1, PRDBC, CTBA
    return struct.pack("<HHIQ16x", 5 | (0x40 if write else 0), 1, 0, CTBA)


def prd(nbytes):
    return struct.pack("<QII", DATA, 0, nbytes - 1)


def ahci_setup():
    # Slot 0's header reads, slot 1's writes: one 64-byte pattern fills the list.
    ops = dma(cmd_header(False) + cmd_header(True), b"\0")
    ops += [op_write(PORT0 + PxCLB, CLB), op_write(PORT0 + PxFB, FB),
            op_write(PORT0 + PxCMD, 0x11)]          # ST | FRE: maps CLB, then FB
    return ops


def ahci_cmd(fis, write=False, data=b"", nbytes=512, ncq_tag=None):
    slot = 1 if write else 0
    pats = [fis.ljust(0x80, b"\0"), prd(nbytes)]
    if write:
        pats.append(data)       # repeated to nbytes by generic-fuzz
    ops = dma(*pats)
    ops.append(op_write(PORT0 + PxIS, 0xFFFFFFFF))
    if ncq_tag is not None:
        ops.append(op_write(PORT0 + PxSACT, 1 << slot))
    ops.append(op_write(PORT0 + PxCI, 1 << slot))
    return ops


def trusted_fis(cmd, proto, comid, blocks, device=0x40):
    return fis_h2d(cmd, proto, blocks >> 8 | comid << 8, blocks & 0xFF, device)


def render_ahci(steps):
    ops = ahci_setup()
    for s in steps:
        kind = s[0]
        if kind == "identify":
            ops += ahci_cmd(fis_h2d(0xEC, device=0))
        elif kind == "send":
            _, proto, comid, payload, use_dma = s
            blocks = max(1, (len(payload) + 511) // 512)
            ops += ahci_cmd(trusted_fis(0x5F if use_dma else 0x5E, proto, comid, blocks),
                            True, payload, blocks * 512)
        elif kind == "recv":
            _, proto, comid, blocks, use_dma = s
            ops += ahci_cmd(trusted_fis(0x5D if use_dma else 0x5C, proto, comid, blocks),
                            nbytes=blocks * 512)
        elif kind == "nondata":
            _, proto, comid, receive = s
            ops += ahci_cmd(trusted_fis(0x5B, proto, comid, 0, 0x40 | int(receive)))
        elif kind == "log":
            _, log, page, count = s
            ops += ahci_cmd(fis_h2d(0x2F, 0, log | page << 8, count), nbytes=count * 512)
        elif kind == "rw":
            _, write, lba, count = s
            ops += ahci_cmd(fis_h2d(0x35 if write else 0x25, 0, lba, count),
                            write, b"\xa5" * 16 * count, count * 512)
        elif kind == "ncq":
            _, write, lba, count, tag = s
            fis = fis_h2d(0x61 if write else 0x60, count & 0xFF, lba, tag << 3,
                          feature_hi=count >> 8)
            ops += ahci_cmd(fis, write, b"\x5a" * 16 * count, count * 512, ncq_tag=tag)
    return ops


# ---- PIIX IDE (pc): generic-fuzz's port regions in address order
IDE_CMD, IDE_CTL, BM_CMD, BM_PRDT = 1, 3, 4, 5       # 0x1f0, 0x3f6, 0xc000, 0xc004
PRDT = 0x104000


def ide_regs(cmd, feature=0, lba=0, count=0, device=0x40, lba48=False):
    ops = [op_out(IDE_CMD, 6, device)]
    if lba48:       # the HOB bytes first, as the registers are FIFOs of two
        ops += [op_out(IDE_CMD, 2, count >> 8), op_out(IDE_CMD, 3, lba >> 24 & 0xFF),
                op_out(IDE_CMD, 4, lba >> 32 & 0xFF), op_out(IDE_CMD, 5, lba >> 40 & 0xFF)]
    ops += [op_out(IDE_CMD, 1, feature), op_out(IDE_CMD, 2, count & 0xFF),
            op_out(IDE_CMD, 3, lba & 0xFF), op_out(IDE_CMD, 4, lba >> 8 & 0xFF),
            op_out(IDE_CMD, 5, lba >> 16 & 0xFF), op_out(IDE_CMD, 7, cmd)]
    return ops


def ide_pio_in(nbytes):
    return [op_in(IDE_CMD, 0, LONG)] * (nbytes // 4) + [op_in(IDE_CMD, 7)]


def ide_pio_out(data):
    return [op_out(IDE_CMD, 0, struct.unpack_from("<I", data, i)[0], LONG)
            for i in range(0, len(data), 4)] + [op_in(IDE_CMD, 7)]


def ide_dma(regs, write, data=b"", nbytes=512):
    pats = [struct.pack("<IHH", DATA, nbytes & 0xFFFF, 0x8000)]
    if write:
        pats.append(data)       # repeated to nbytes by generic-fuzz
    ops = dma(*pats)
    ops += [op_out(BM_CMD, 0, 0), op_out(BM_CMD, 2, 0x06),
            op_out(BM_PRDT, 0, PRDT, LONG)] + regs
    ops += [op_out(BM_CMD, 0, 0x01 if write else 0x09), op_in(BM_CMD, 2),
            op_out(BM_CMD, 0, 0), op_in(IDE_CMD, 7)]
    return ops


def render_ide(steps):
    ops = [op_out(IDE_CTL, 0, 0x04), op_out(IDE_CTL, 0, 0x00)]     # SRST
    for s in steps:
        kind = s[0]
        if kind == "identify":
            ops += ide_regs(0xEC, device=0) + ide_pio_in(512)
        elif kind == "send":
            _, proto, comid, payload, use_dma = s
            blocks = max(1, (len(payload) + 511) // 512)
            data = payload.ljust(blocks * 512, b"\0")
            if use_dma:
                ops += ide_dma(ide_regs(0x5F, proto, blocks >> 8 | comid << 8, blocks),
                               True, payload, len(data))
            else:
                ops += ide_regs(0x5E, proto, blocks >> 8 | comid << 8, blocks)
                ops += ide_pio_out(data)
        elif kind == "recv":
            _, proto, comid, blocks, use_dma = s
            regs = ide_regs(0x5D if use_dma else 0x5C, proto, blocks >> 8 | comid << 8, blocks)
            ops += ide_dma(regs, False, nbytes=blocks * 512) if use_dma else \
                regs + ide_pio_in(blocks * 512)
        elif kind == "nondata":
            _, proto, comid, receive = s
            ops += ide_regs(0x5B, proto, comid << 8, 0, 0x40 | int(receive)) + [op_in(IDE_CMD, 7)]
        elif kind == "log":
            _, log, page, count = s
            ops += ide_regs(0x2F, 0, log | page << 8, count, lba48=True) + ide_pio_in(count * 512)
        elif kind == "rw":
            _, write, lba, count = s
            ops += ide_dma(ide_regs(0x35 if write else 0x25, 0, lba, count, lba48=True),
                           write, b"\xa5" * 16 * count, count * 512)
        # NCQ is AHCI's alone
    return ops


def main():
    machine, out = sys.argv[1], sys.argv[2]
    render = {"q35": render_ahci, "pc": render_ide}[machine]
    os.makedirs(out, exist_ok=True)
    for name, steps in SCENARIOS.items():
        ops = render(steps)
        for o in ops:
            if SEP in o:
                sys.exit("make-seeds: an operation of %s contains the separator" % name)
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(SEP.join(ops))


if __name__ == "__main__":
    main()
