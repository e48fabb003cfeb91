#!/usr/bin/env python3
"""Scriptable Modbus slave used by the Rust integration tests.

Serves one or more Modbus devices (slave ids) over Modbus TCP or Modbus RTU on
a serial device (typically one end of a socat pty pair) with pymodbus 3.16.

Every device has 64 coils, 64 discrete inputs, 64 holding registers and
64 input registers (zero-based addresses 0..63), all zero at start.

Line protocol (stdin -> stdout, one line each, stdout flushed per line):

    set di|ir|hr|co DEV ADDR VALUE   -> "ok"
    get di|ir|hr|co DEV ADDR         -> "<kind> DEV ADDR VALUE"
    quit                             -> exit 0

Unsolicited lines:

    READY                                  once the server accepts requests
    change co|hr DEV ADDR VALUE T_US       a Modbus master changed a coil or
                                           holding register; T_US is
                                           time.monotonic_ns() // 1000 taken
                                           while the write request is handled
                                           (before the reply is sent).

Writes made through the line protocol ("set co"/"set hr") are not reported as
changes: the test driving the peer made them itself. Writes by a master that
store the value already present are not reported either.

Malformed commands answer "err <reason>" and the peer keeps running.
The peer exits 0 on "quit" or when stdin closes; start-up failures (port in
use, serial device missing, ...) are reported on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import threading
import time
from functools import partial

from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice
from pymodbus.simulator.simcore import SimCore
from pymodbus.simulator.simutils import SimUtils

POINTS = 64

# Function codes used to reach each table from the server side
# (pymodbus maps the request function code to the table).
TABLE_FC = {"co": 1, "di": 2, "hr": 3, "ir": 4}
COIL_WRITE_FCS = {5, 15}
REG_WRITE_FCS = {6, 16, 22, 23}


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def fail(msg: str) -> None:
    sys.stderr.write(f"modbus_peer: {msg}\n")
    sys.stderr.flush()
    # os._exit: do not wait for the stdin reader thread.
    os._exit(2)


class PeerState:
    """Shared state between the write hook and the command loop."""

    def __init__(self) -> None:
        # True while the line protocol itself writes to the datastore,
        # so the write hook does not report it as a master's change.
        self.internal_write = False


async def write_hook(
    state: PeerState,
    dev: int,
    function_code: int,
    start_address: int,
    address: int,
    _count: int,
    current_registers: list[int],
    set_values: list[int] | list[bool] | None,
):
    """SimDevice.action: called before pymodbus applies every access.

    For writes `set_values` holds the values about to be stored and
    `current_registers` the whole table (still holding the old values).
    """
    if set_values is None or state.internal_write:
        return None
    now_us = time.monotonic_ns() // 1000
    if function_code in COIL_WRITE_FCS:
        # Separate bit tables: start_address is in 16-bit words, address in bits.
        old_bits = SimUtils.registersToBits(current_registers)
        base = start_address * 16
        for i, new in enumerate(set_values):
            bit_addr = address + i
            idx = bit_addr - base
            old = old_bits[idx] if 0 <= idx < len(old_bits) else None
            if old is None or bool(old) != bool(new):
                emit(f"change co {dev} {bit_addr} {1 if new else 0} {now_us}")
    elif function_code in REG_WRITE_FCS:
        for i, new in enumerate(set_values):
            reg_addr = address + i
            idx = reg_addr - start_address
            old = (
                current_registers[idx] if 0 <= idx < len(current_registers) else None
            )
            if old != int(new):
                emit(f"change hr {dev} {reg_addr} {int(new)} {now_us}")
    return None


class PeerCore(SimCore):
    """SimCore that raises NoSuchIdException for slave ids it does not serve.

    Plain SimCore falls back to device id 0 and raises KeyError when there is
    none, which pymodbus turns into a "device failure" exception reply. On a
    real RS-485 bus an absent slave stays silent instead.
    """

    async def async_getValues(self, device_id, func_code, address, count=1):
        if device_id not in self.devices:
            raise NoSuchIdException(f"device {device_id}")
        return await super().async_getValues(device_id, func_code, address, count)

    async def async_setValues(self, device_id, func_code, address, values):
        if device_id not in self.devices:
            raise NoSuchIdException(f"device {device_id}")
        return await super().async_setValues(device_id, func_code, address, values)


def build_devices(ids: list[int], state: PeerState) -> list[SimDevice]:
    devices = []
    for dev in ids:
        devices.append(
            SimDevice(
                id=dev,
                # Four separate tables: coils, discrete inputs, holding, input.
                simdata=(
                    [SimData(0, count=POINTS, values=False, datatype=DataType.BITS)],
                    [SimData(0, count=POINTS, values=False, datatype=DataType.BITS)],
                    [SimData(0, count=POINTS, values=0, datatype=DataType.REGISTERS)],
                    [SimData(0, count=POINTS, values=0, datatype=DataType.REGISTERS)],
                ),
                action=partial(write_hook, state, dev),
            )
        )
    return devices


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--tcp", metavar="HOST:PORT", help="serve Modbus TCP")
    mode.add_argument("--rtu", metavar="DEVICE", help="serve Modbus RTU on a serial device")
    p.add_argument("--baud", type=int, default=9600, help="RTU baud rate (default 9600)")
    p.add_argument(
        "--parity", choices=["N", "E", "O"], default="N", help="RTU parity (default N)"
    )
    p.add_argument("--stop-bits", type=int, choices=[1, 2], default=1)
    p.add_argument(
        "--device",
        type=int,
        action="append",
        metavar="ID",
        help="slave id to serve (repeatable, default: 1)",
    )
    p.add_argument("--verbose", action="store_true", help="pymodbus debug log on stderr")
    args = p.parse_args()
    ids = args.device or [1]
    for dev in ids:
        if not 1 <= dev <= 247:
            p.error(f"--device {dev}: slave id must be 1..247")
    if len(set(ids)) != len(ids):
        p.error("--device given twice with the same id")
    args.device = ids
    return args


def start_stdin_reader(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    """Read stdin in a thread (works for pipes, files and terminals alike)."""

    def run() -> None:
        try:
            for line in sys.stdin:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError):
            pass
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=run, name="stdin", daemon=True).start()


async def handle_command(core: PeerCore, state: PeerState, ids: set[int], line: str) -> bool:
    """Execute one command line; return False to stop the peer."""
    parts = line.split()
    if not parts:
        return True
    if parts == ["quit"]:
        return False
    try:
        verb = parts[0]
        if verb not in ("set", "get"):
            raise ValueError(f"unknown command {verb!r}")
        want = 5 if verb == "set" else 4
        if len(parts) != want:
            raise ValueError(f"{verb} takes {want - 1} arguments")
        table = parts[1]
        if table not in TABLE_FC:
            raise ValueError(f"unknown table {table!r} (co|di|hr|ir)")
        dev, addr = int(parts[2]), int(parts[3])
        if dev not in ids:
            raise ValueError(f"device {dev} not served")
        if not 0 <= addr < POINTS:
            raise ValueError(f"address {addr} outside 0..{POINTS - 1}")
        fc = TABLE_FC[table]
        if verb == "set":
            value = int(parts[4], 0)
            if table in ("co", "di"):
                if value not in (0, 1):
                    raise ValueError("bit value must be 0 or 1")
                values: list = [bool(value)]
            else:
                if not 0 <= value <= 0xFFFF:
                    raise ValueError("register value must be 0..65535")
                values = [value]
            state.internal_write = True
            try:
                rc = await core.async_setValues(dev, fc, addr, values)
            finally:
                state.internal_write = False
            if rc:
                raise ValueError(f"datastore refused: {rc!r}")
            emit("ok")
        else:
            res = await core.async_getValues(dev, fc, addr, 1)
            if not isinstance(res, list):
                raise ValueError(f"datastore refused: {res!r}")
            emit(f"{table} {dev} {addr} {int(res[0])}")
    except ValueError as exc:
        emit(f"err {exc}")
    return True


class RtuSupervisor:
    """Keeps a serial server open across the serial device disappearing.

    When socat (the "USB adapter") is killed, reads on the pty fail and the
    pymodbus serial transport closes itself; pymodbus does not reopen a
    serial listener reliably, so we build a new server on the same path
    (sharing the same datastore) as soon as the device is back.
    """

    def __init__(self, args, devices, core: PeerCore) -> None:
        self.args = args
        self.devices = devices
        self.core = core
        self.server: ModbusSerialServer | None = None

    def make_server(self) -> ModbusSerialServer:
        server = ModbusSerialServer(
            self.devices,
            port=self.args.rtu,
            baudrate=self.args.baud,
            parity=self.args.parity,
            stopbits=self.args.stop_bits,
            bytesize=8,
            timeout=1,
            broadcast_enable=True,
            ignore_missing_devices=True,
            reconnect_delay=0,
        )
        server.context = self.core
        return server

    def alive(self) -> bool:
        server = self.server
        if server is None or server.transport is None:
            return False
        return getattr(server.transport, "sync_serial", None) is not None

    async def open(self) -> bool:
        server = self.make_server()
        try:
            ok = await server.listen()
        except Exception:  # noqa: BLE001 - pyserial raises several kinds
            ok = False
        if not ok:
            server.close()
            return False
        self.server = server
        return True

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            if self.alive():
                continue
            if self.server is not None:
                try:
                    self.server.close()
                except Exception:  # noqa: BLE001
                    pass
                self.server = None
            await self.open()


async def main() -> int:
    args = parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.verbose else logging.CRITICAL)
    if args.verbose:
        from pymodbus import pymodbus_apply_logging_config

        pymodbus_apply_logging_config(logging.DEBUG)

    state = PeerState()
    devices = build_devices(args.device, state)
    core = PeerCore(devices)
    ids = set(args.device)
    tasks = []

    if args.tcp:
        host, sep, port_s = args.tcp.rpartition(":")
        if not sep or not port_s.isdigit() or not 0 <= int(port_s) <= 65535:
            fail(f"--tcp wants HOST:PORT with PORT 0..65535, got {args.tcp!r}")
        server = ModbusTcpServer(
            devices,
            address=(host or "127.0.0.1", int(port_s)),
            broadcast_enable=True,
            ignore_missing_devices=False,
        )
        server.context = core
        try:
            ok = await server.listen()
        except (OSError, OverflowError, ValueError) as exc:
            fail(f"cannot listen on {args.tcp}: {exc}")
        if not ok:
            fail(f"cannot listen on {args.tcp} (address in use or not local?)")
    else:
        if not os.path.exists(args.rtu):
            fail(f"serial device {args.rtu} does not exist")
        supervisor = RtuSupervisor(args, devices, core)
        if not await supervisor.open():
            fail(f"cannot open serial device {args.rtu}")
        tasks.append(asyncio.create_task(supervisor.watch()))

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    start_stdin_reader(loop, queue)
    emit("READY")

    while True:
        line = await queue.get()
        if line is None:
            break
        if not await handle_command(core, state, ids, line):
            break
    for task in tasks:
        task.cancel()
    return 0


if __name__ == "__main__":
    try:
        code = asyncio.run(main())
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    # Skip interpreter teardown waiting on the stdin thread / open transports.
    os._exit(code)
