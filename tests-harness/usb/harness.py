#!/usr/bin/python3
"""An emulated USB bus for mfpbridge's USB tests and benchmark, under umockdev.

Usage: harness.py --mfpbridge BIN [--trace] -- COMMAND ARGS...

Builds a umockdev testbed with one root hub (bus 1) and runs COMMAND under umockdev's preload
library, with two environment variables:
  UMOCKDEV_DIR        the testbed (libusb and libudev in COMMAND see its devices)
  MFPB_USB_HARNESS    a Unix socket: one JSON request per line, one JSON answer per line

Requests (see Tests/USBTests/USBHarness.swift for the client):
  {"op":"plug", "profile":"aurora-c5540"}            a device with the profile's USB identity,
                                                     its vendor interface served by
                                                     `mfpbridge emulate --profile P --socket ...`
  {"op":"plug", "device":{...}, "behavior":"echo"}   a device described in full (ids, strings,
                                                     interfaces); behavior "emulator" (with
                                                     "profile"), "echo" (bulk OUT comes back as
                                                     bulk IN) or "inert" (an unrelated device)
  {"op":"unplug", "busPath":"1-1"}                   pending URBs fail with ENODEV, "remove"
                                                     uevents, device removed
  {"op":"set", "busPath":"1-1", "stall":[129], "mute":true, "hold":true}
                                                     stall endpoints until CLEAR_HALT; mute: drop
                                                     OUT data and never answer; hold: keep
                                                     answers back until hold is false
  {"op":"stats", "busPath":"1-1"}                    what the host did to the device
  {"op":"reset"}                                     unplug everything
  {"op":"emulator", "profile":"aurora-c5540"}        the profile's emulator (started if need be):
                                                     {"state": its --state folder (for
                                                     `mfpbridge emulate-ctl --state`), "socket",
                                                     "log": its standard error}

Every answer is {"ok":true,...} or {"ok":false,"error":"..."}.
The ioctl handlers never block for long: "no data yet" is EAGAIN (libusb polls again), after at
most a 2 ms wait on the emulator's socket.
"""
import collections, errno, json, os, select, signal, socket, struct, subprocess, sys, tempfile, threading, time

import gi
gi.require_version('UMockdev', '1.0')
from gi.repository import UMockdev

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT_DIR = os.path.normpath(os.path.join(HERE, '..', '..'))
PROFILES = os.path.join(ROOT_DIR, 'firmware-fixtures', 'profiles')

# linux/usbdevice_fs.h request numbers on x86_64 and aarch64 (64-bit pointers).
SUBMITURB, DISCARDURB, REAPURB, REAPURBNDELAY = 0x8038550a, 0x550b, 0x4008550c, 0x4008550d
CLAIMINTERFACE, RELEASEINTERFACE = 0x8004550f, 0x80045510
GET_CAPABILITIES, CLEAR_HALT, RESETEP, RESET = 0x8004551a, 0x80045515, 0x80045503, 0x5514
SETINTERFACE, SETCONFIGURATION, GETDRIVER = 0x80085504, 0x80045505, 0x41045508
DISCONNECT_CLAIM, USBDEVFS_IOCTL, GET_SPEED = 0x8108551b, 0xc0105512, 0x551f
URB_SIZE = 56                                    # struct usbdevfs_urb
U_STATUS, U_BUFFER, U_LENGTH, U_ACTUAL = 4, 16, 24, 28
TYPE_CONTROL, TYPE_BULK = 2, 3
CAPABILITIES = 0x0f                              # zero packet, bulk continuation, no size limit, SG

SYSFS_PATH = '/devices/pci0000:00/0000:00:14.0/usb1'   # in umockdev records
BUS_SYSPATH = '/sys' + SYSFS_PATH                       # for uevent() and remove_device()


# ---------------------------------------------------------------------------------------------
# descriptors and the umockdev description of a device

def endpoint_descriptor(address, kind=2, max_packet=512, interval=0):
    return struct.pack('<BBBBHB', 7, 5, address, kind, max_packet, interval)


def interface_descriptor(iface):
    endpoints = [e for e in (iface.get('bulkIn'), iface.get('bulkOut')) if e is not None]
    body = b''.join(endpoint_descriptor(e) for e in endpoints)
    if iface.get('interruptIn') is not None:
        endpoints.append(iface['interruptIn'])
        body += endpoint_descriptor(iface['interruptIn'], kind=3, max_packet=8, interval=10)
    head = struct.pack('<9B', 9, 4, iface['number'], 0, len(endpoints), iface['interfaceClass'],
                       iface['subclass'], iface['interfaceProtocol'], 0)
    return head + body


def device_descriptors(dev):
    body = b''.join(interface_descriptor(i) for i in dev['interfaces'])
    config = struct.pack('<BBHBBBBB', 9, 2, 9 + len(body), len(dev['interfaces']), 1, 0, 0xc0, 1) + body
    device = struct.pack('<BBHBBBBHHHBBBB', 18, 1, 0x0200, 0, 0, 0, 64, dev['vendorID'], dev['productID'],
                         0x0100, 1, 2, 3, 1)
    return device + config


def hub_descriptors():
    device = struct.pack('<BBHBBBBHHHBBBB', 18, 1, 0x0200, 9, 0, 1, 64, 0x1d6b, 0x0002, 0x0601, 3, 2, 1, 1)
    interface = struct.pack('<9B', 9, 4, 0, 0, 1, 9, 0, 0, 0) + endpoint_descriptor(0x81, 3, 4, 12)
    config = struct.pack('<BBHBBBBB', 9, 2, 9 + len(interface), 1, 1, 0, 0xe0, 0) + interface
    return device + config


def record(path, node=None, properties=(), attributes=(), descriptors=None):
    """One device in umockdev's text format; sysfs text attributes end in a newline."""
    lines = ['P: ' + path]
    if node:
        lines.append('N: %s=%s' % node if node[1] is not None else 'N: ' + node[0])
    lines += ['E: %s=%s' % kv for kv in properties]
    lines += ['A: %s=%s\\n' % kv for kv in attributes]
    if descriptors is not None:
        lines.append('H: descriptors=' + descriptors.hex().upper())
    return '\n'.join(lines) + '\n'


def udev_escape(text):
    return ''.join(c if c.isalnum() or c in '-_.' else '\\x%02x' % ord(c) for c in text)


def hub_record():
    desc = hub_descriptors()
    return record(SYSFS_PATH, ('bus/usb/001/001', desc.hex().upper()),
                  [('BUSNUM', '001'), ('DEVNUM', '001'), ('DEVNAME', '/dev/bus/usb/001/001'),
                   ('DEVTYPE', 'usb_device'), ('DRIVER', 'usb'), ('ID_VENDOR_ID', '1d6b'), ('ID_MODEL_ID', '0002'),
                   ('MAJOR', '189'), ('MINOR', '0'), ('PRODUCT', '1d6b/2/601'), ('SUBSYSTEM', 'usb'), ('TYPE', '9/0/1')],
                  [('authorized', '1'), ('bConfigurationValue', '1'), ('bDeviceClass', '09'), ('bNumConfigurations', '1'),
                   ('bNumInterfaces', ' 1'), ('busnum', '1'), ('devnum', '1'), ('devpath', '0'), ('idProduct', '0002'),
                   ('idVendor', '1d6b'), ('maxchild', '8'), ('product', 'Emulated xHCI Host Controller'),
                   ('manufacturer', 'mfpbridge tests'), ('speed', '480'), ('version', ' 2.00')],
                  desc)


def device_records(dev, port, devnum):
    """The device and its interfaces, device first (add order)."""
    vid, pid = dev['vendorID'], dev['productID']
    syspath = '%s/1-%d' % (SYSFS_PATH, port)
    desc = device_descriptors(dev)
    node = '/dev/bus/usb/001/%03d' % devnum
    classes = ''.join(':%02x%02x%02x' % (i['interfaceClass'], i['subclass'], i['interfaceProtocol'])
                      for i in dev['interfaces']) + ':'
    records = [record(
        syspath, (node[len('/dev/'):], desc.hex().upper()),
        [('BUSNUM', '001'), ('DEVNUM', '%03d' % devnum), ('DEVNAME', node), ('DEVTYPE', 'usb_device'),
         ('DRIVER', 'usb'), ('ID_BUS', 'usb'), ('ID_VENDOR_ID', '%04x' % vid), ('ID_MODEL_ID', '%04x' % pid),
         ('ID_VENDOR', udev_escape(dev['manufacturer'])), ('ID_MODEL', udev_escape(dev['product'])),
         ('ID_SERIAL', udev_escape('%s_%s_%s' % (dev['manufacturer'], dev['product'], dev['serial']))),
         ('ID_SERIAL_SHORT', dev['serial']), ('ID_USB_INTERFACES', classes), ('MAJOR', '189'),
         ('MINOR', str(devnum - 1)), ('PRODUCT', '%x/%x/100' % (vid, pid)), ('SUBSYSTEM', 'usb'), ('TYPE', '0/0/0')],
        [('authorized', '1'), ('bConfigurationValue', '1'), ('bDeviceClass', '00'), ('bMaxPacketSize0', '64'),
         ('bNumConfigurations', '1'), ('bNumInterfaces', '%2d' % len(dev['interfaces'])), ('bcdDevice', '0100'),
         ('bmAttributes', 'c0'), ('busnum', '1'), ('devnum', str(devnum)), ('devpath', str(port)),
         ('idProduct', '%04x' % pid), ('idVendor', '%04x' % vid), ('manufacturer', dev['manufacturer']),
         ('product', dev['product']), ('serial', dev['serial']), ('speed', '480'), ('version', ' 2.00'),
         ('removable', 'removable'), ('maxchild', '0'), ('quirks', '0x0')],
        desc)]
    for i in dev['interfaces']:
        alias = 'usb:v%04Xp%04Xd0100dc00dsc00dp00ic%02Xisc%02Xip%02Xin%02X' % (
            vid, pid, i['interfaceClass'], i['subclass'], i['interfaceProtocol'], i['number'])
        records.append(record(
            '%s/1-%d:1.%d' % (syspath, port, i['number']), None,
            [('DEVTYPE', 'usb_interface'), ('INTERFACE', '%d/%d/%d' % (i['interfaceClass'], i['subclass'], i['interfaceProtocol'])),
             ('MODALIAS', alias), ('PRODUCT', '%x/%x/100' % (vid, pid)), ('SUBSYSTEM', 'usb'), ('TYPE', '0/0/0')],
            [('authorized', '1'), ('bAlternateSetting', ' 0'), ('bInterfaceClass', '%02x' % i['interfaceClass']),
             ('bInterfaceNumber', '%02x' % i['number']), ('bInterfaceProtocol', '%02x' % i['interfaceProtocol']),
             ('bInterfaceSubClass', '%02x' % i['subclass']), ('bNumEndpoints', '%02x' % 2), ('modalias', alias)]))
    return syspath, node, records


def stick_records(stick, port, devnum):
    """A USB stick as the kernel and udev present one: the usb_device with its mass-storage
    interface (08/06/50), its SCSI disk (removable, sysfs size in 512-byte sectors) and one
    partition with a file system (udev's blkid properties); block numbers 8:N*16 and 8:N*16+1."""
    vid, pid = 0x0781, 0x5567
    syspath = '%s/1-%d' % (SYSFS_PATH, port)
    node = '/dev/bus/usb/001/%03d' % devnum
    index = stick.get('index', 0)
    disk_name = 'sd' + chr(ord('a') + index)
    disk_path = '%s/1-%d:1.0/host%d/target%d:0:0/%d:0:0:0/block/%s' % (syspath, port, index, index, index, disk_name)
    part_path = disk_path + '/' + disk_name + '1'
    serial, label, fs = stick['serial'], stick['label'], stick.get('fileSystem', 'vfat')
    sectors = stick.get('sizeBytes', 64 << 20) // 512
    common = [('ID_BUS', 'usb'), ('ID_VENDOR', stick.get('vendor', 'SanDisk')), ('ID_VENDOR_ENC', udev_escape(stick.get('vendor', 'SanDisk'))),
              ('ID_MODEL', 'Cruzer_Blade'), ('ID_MODEL_ENC', 'Cruzer\\x20Blade'), ('ID_SERIAL_SHORT', serial),
              ('ID_SERIAL', 'SanDisk_Cruzer_Blade_%s-0:0' % serial), ('ID_USB_DRIVER', 'usb-storage'),
              ('ID_USB_INTERFACES', ':080650:'), ('SUBSYSTEM', 'block')]
    records = [
        record(syspath, (node[len('/dev/'):], device_descriptors({
            'vendorID': vid, 'productID': pid, 'interfaces': [{'number': 0, 'interfaceClass': 8, 'subclass': 6, 'interfaceProtocol': 0x50}]}).hex().upper()),
            [('BUSNUM', '001'), ('DEVNUM', '%03d' % devnum), ('DEVNAME', node), ('DEVTYPE', 'usb_device'), ('DRIVER', 'usb'),
             ('ID_BUS', 'usb'), ('ID_VENDOR_ID', '%04x' % vid), ('ID_MODEL_ID', '%04x' % pid), ('ID_SERIAL_SHORT', serial),
             ('MAJOR', '189'), ('MINOR', str(devnum - 1)), ('PRODUCT', '%x/%x/100' % (vid, pid)), ('SUBSYSTEM', 'usb'), ('TYPE', '0/0/0')],
            [('idVendor', '%04x' % vid), ('idProduct', '%04x' % pid), ('serial', serial), ('product', 'Cruzer Blade'),
             ('manufacturer', 'SanDisk'), ('busnum', '1'), ('devnum', str(devnum)), ('devpath', str(port)), ('speed', '480'),
             ('bNumInterfaces', ' 1'), ('bConfigurationValue', '1')]),
        record('%s/1-%d:1.0' % (syspath, port), None,
               [('DEVTYPE', 'usb_interface'), ('INTERFACE', '8/6/80'), ('DRIVER', 'usb-storage'), ('SUBSYSTEM', 'usb')],
               [('bInterfaceClass', '08'), ('bInterfaceSubClass', '06'), ('bInterfaceProtocol', '50'), ('bInterfaceNumber', '00')]),
        record(disk_path, (disk_name, None),
               common + [('DEVNAME', '/dev/' + disk_name), ('DEVTYPE', 'disk'), ('MAJOR', '8'), ('MINOR', str(index * 16))],
               [('size', str(sectors)), ('removable', '1'), ('ro', '1' if stick.get('writeProtected') else '0')]),
        record(part_path, (disk_name + '1', None),
               common + [('DEVNAME', '/dev/%s1' % disk_name), ('DEVTYPE', 'partition'), ('MAJOR', '8'), ('MINOR', str(index * 16 + 1)),
                         ('ID_FS_TYPE', fs), ('ID_FS_USAGE', 'filesystem'), ('ID_FS_LABEL', label), ('ID_FS_LABEL_ENC', udev_escape(label)),
                         ('ID_FS_UUID', stick.get('uuid', '1234-ABCD')), ('PARTN', '1')],
               [('size', str(sectors - 2048)), ('partition', '1'), ('start', '2048'), ('ro', '1' if stick.get('writeProtected') else '0')]),
    ]
    return syspath, [disk_path, part_path], records


def profile_device(name):
    with open(os.path.join(PROFILES, name + '.json')) as f:
        usb = json.load(f)['usb']
    return {'vendorID': usb['vendorID'], 'productID': usb['productID'], 'manufacturer': usb['manufacturer'],
            'product': usb['product'], 'serial': usb['serial'], 'interfaces': usb['interfaces']}


# ---------------------------------------------------------------------------------------------
# the device model


class Emulators:
    """One `mfpbridge emulate --socket` per profile, started on first use, kept across replugs
    (so a replugged device is the same machine with the same state)."""

    def __init__(self, binary, work, trace=False):
        self.binary, self.work, self.trace = binary, work, trace
        self.sockets, self.processes = {}, []
        self.lock = threading.Lock()

    def socket_for(self, profile):
        with self.lock:
            if profile in self.sockets:
                return self.sockets[profile]
            folder = os.path.join(self.work, 'emulator-' + profile)
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, 'host.sock')
            env = {k: v for k, v in os.environ.items() if k not in ('LD_PRELOAD', 'UMOCKDEV_DIR')}
            env['MFPBRIDGE_DATA_DIR'] = os.path.join(folder, 'data')
            # Its log (FOLDER/emulate.log, beside the state folder) tells what the device saw.
            with open(os.path.join(folder, 'emulate.log'), 'ab') as log:
                process = subprocess.Popen([self.binary, 'emulate', '--profile', profile, '--socket', path,
                                            '--state', os.path.join(folder, 'state'), '--profiles', PROFILES]
                                           + (['--verbose'] if self.trace else []),
                                           stdout=subprocess.PIPE, stderr=log, env=env, start_new_session=False)
            self.processes.append(process)
            line = process.stdout.readline().decode()
            if not line.startswith('ready '):
                raise RuntimeError('mfpbridge emulate did not start: %r' % line)
            self.sockets[profile] = path
            return path

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


class Urb:
    __slots__ = ('data', 'buf', 'type', 'ep', 'length', 'addr')


class Device:
    """One plugged device: its description, behaviour, misbehaviour switches and counters."""

    def __init__(self, dev, behavior, port, devnum, emulator_socket):
        self.dev, self.behavior, self.port, self.devnum = dev, behavior, port, devnum
        self.emulator_socket = emulator_socket
        link = next((i for i in dev['interfaces'] if (i['interfaceClass'], i['subclass'], i['interfaceProtocol']) ==
                     (dev.get('linkClass', [255, 255, 255])[0], dev.get('linkClass', [255, 255, 255])[1],
                      dev.get('linkClass', [255, 255, 255])[2])), None)
        if dev.get('linkInterface') is not None:
            link = next(i for i in dev['interfaces'] if i['number'] == dev['linkInterface'])
        self.link_in = link['bulkIn'] if link else None
        self.link_out = link['bulkOut'] if link else None
        self.link_number = link['number'] if link else None
        self.halted, self.mute, self.hold, self.gone = set(), False, False, False
        self.stats = collections.Counter()
        self.claims, self.driver_queries = [], []
        self.lock = threading.RLock()
        self.handler = None
        self.desc = device_descriptors(dev)

    @property
    def bus_path(self):
        return '1-%d' % self.port

    def snapshot(self):
        with self.lock:
            return {'busPath': self.bus_path, 'devnode': '/dev/bus/usb/001/%03d' % self.devnum,
                    'gone': self.gone, 'claims': list(self.claims), 'driverQueries': list(self.driver_queries),
                    **dict(self.stats)}


class Handler(UMockdev.IoctlBase):
    """usbdevfs for one device node: URBs, claims, halts; bulk on the vendor interface goes to
    the emulator (one socket connection per claim), or comes back (echo)."""

    def __init__(self, device, trace):
        super().__init__()
        self.device, self.trace = device, trace
        self.clients = {}
        self.connect('handle-ioctl', self.on_ioctl)
        self.connect('client-connected', self.on_connected)
        self.connect('client-vanished', self.on_vanished)

    def state(self, client):
        return self.clients.setdefault(client, {'pending': [], 'done': collections.deque(), 'emu': None,
                                               'inq': bytearray()})

    def on_connected(self, handler, client):
        with self.device.lock:
            self.device.stats['opens'] += 1
            self.state(client)

    def on_vanished(self, handler, client):
        with self.device.lock:
            st = self.clients.pop(client, None)
            if st and st['emu']:
                st['emu'].close()

    def fail_all(self, status):
        """Completes every pending URB of every client with `status` (unplug)."""
        for st in self.clients.values():
            for urb in st['pending']:
                self.finish(st, urb, status, 0)
            st['pending'] = []
            if st['emu']:
                st['emu'].close()
                st['emu'] = None

    @staticmethod
    def finish(st, urb, status, actual, payload=None, offset=0):
        if payload:
            urb.buf.update(offset, payload)
        urb.data.update(U_STATUS, struct.pack('<i', status))
        urb.data.update(U_ACTUAL, struct.pack('<i', actual))
        st['done'].append(urb)

    def pump(self, st):
        """Moves what the emulator answered into the client's IN queue (never blocks)."""
        d = self.device
        if st['emu'] is None or d.hold:
            return
        while True:
            try:
                chunk = st['emu'].recv(1 << 20, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                chunk = b''
            if not chunk:
                st['emu'].close()
                st['emu'] = None
                return
            if not d.mute:
                st['inq'] += chunk

    def serve_in(self, st):
        d = self.device
        for urb in list(st['pending']):
            if not urb.ep & 0x80:
                continue
            if urb.ep in d.halted:
                st['pending'].remove(urb)
                d.stats['stalled_urbs'] += 1
                self.finish(st, urb, -errno.EPIPE, 0)
                continue
            if st['inq'] and urb.ep == d.link_in:
                n = min(len(st['inq']), urb.length)
                chunk = bytes(st['inq'][:n])
                del st['inq'][:n]
                st['pending'].remove(urb)
                d.stats['bytes_in'] += n
                self.finish(st, urb, 0, n, chunk)

    def on_ioctl(self, handler, client):
        d = self.device
        request = client.get_request()
        arg = client.get_arg()
        with d.lock:
            st = self.state(client)
            d.stats['ioctls'] += 1
            if self.trace:
                print('[harness] %s ioctl 0x%08x' % (d.bus_path, request), file=sys.stderr, flush=True)
            if d.gone and request not in (REAPURB, REAPURBNDELAY, DISCARDURB):
                client.complete(-1, errno.ENODEV)
                return True

            if request == SUBMITURB:
                urb = Urb()
                urb.data = arg.resolve(0, URB_SIZE)
                raw = urb.data.retrieve()
                urb.type, urb.ep = raw[0], raw[1]
                urb.length = struct.unpack_from('<i', raw, U_LENGTH)[0]
                urb.addr = urb.data.client_addr
                urb.buf = urb.data.resolve(U_BUFFER, urb.length) if urb.length > 0 else None
                d.stats['urbs'] += 1
                if urb.type == TYPE_CONTROL:
                    self.control(st, urb)
                elif urb.type == TYPE_BULK and not urb.ep & 0x80:
                    self.bulk_out(st, urb)
                elif urb.type == TYPE_BULK:
                    st['pending'].append(urb)
                else:
                    client.complete(-1, errno.EINVAL)
                    return True
                client.complete(0, 0)
                return True

            if request in (REAPURB, REAPURBNDELAY):
                if not st['done'] and not d.gone:
                    self.pump(st)
                    self.serve_in(st)
                    if not st['done'] and st['emu'] is not None and not d.hold and any(u.ep & 0x80 for u in st['pending']):
                        # a short wait on the emulator's socket instead of a busy spin in libusb
                        d.lock.release()
                        try:
                            select.select([st['emu']], [], [], 0.002)
                        except (OSError, ValueError):
                            pass
                        finally:
                            d.lock.acquire()
                        if st['emu'] is not None:
                            self.pump(st)
                        self.serve_in(st)
                if not st['done']:
                    client.complete(-1, errno.ENODEV if d.gone else errno.EAGAIN)
                    return True
                urb = st['done'].popleft()
                arg.resolve(0, 8).set_ptr(0, urb.data)
                client.complete(0, 0)
                return True

            if request == DISCARDURB:
                address = struct.unpack('<Q', arg.retrieve())[0]
                for urb in st['pending']:
                    if urb.addr == address:
                        st['pending'].remove(urb)
                        d.stats['discarded'] += 1
                        self.finish(st, urb, -errno.ENOENT, 0)
                        client.complete(0, 0)
                        return True
                client.complete(-1, errno.EINVAL)
                return True

            if request == CLAIMINTERFACE:
                number = struct.unpack('<I', arg.resolve(0, 4).retrieve())[0]
                d.claims.append(number)
                if number == d.link_number and d.behavior == 'emulator':
                    if st['emu']:
                        st['emu'].close()
                    st['emu'] = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    st['emu'].connect(d.emulator_socket)
                    st['inq'] = bytearray()
                client.complete(0, 0)
                return True
            if request == RELEASEINTERFACE:
                number = struct.unpack('<I', arg.resolve(0, 4).retrieve())[0]
                d.stats['releases'] += 1
                if number == d.link_number and st['emu']:
                    st['emu'].close()
                    st['emu'] = None
                client.complete(0, 0)
                return True
            if request == CLEAR_HALT:
                endpoint = struct.unpack('<I', arg.resolve(0, 4).retrieve())[0]
                d.stats['clear_halts'] += 1
                d.halted.discard(endpoint)
                client.complete(0, 0)
                return True
            if request == RESET:
                d.stats['resets'] += 1
                d.halted.clear()
                client.complete(0, 0)
                return True
            if request == GETDRIVER:
                number = struct.unpack('<I', arg.resolve(0, 4).retrieve())[0]
                d.driver_queries.append(number)
                client.complete(-1, errno.ENODATA)   # no kernel driver on any interface
                return True
            if request == GET_CAPABILITIES:
                arg.resolve(0, 4).update(0, struct.pack('<I', CAPABILITIES))
                client.complete(0, 0)
                return True
            if request == GET_SPEED:
                client.complete(3, 0)                # high speed
                return True
            if request in (RESETEP, SETINTERFACE, SETCONFIGURATION, DISCONNECT_CLAIM, USBDEVFS_IOCTL):
                d.stats['other_%x' % request] += 1
                client.complete(0, 0)
                return True
            client.complete(-1, errno.ENOTTY)
            return True

    def bulk_out(self, st, urb):
        d = self.device
        data = urb.buf.retrieve() if urb.buf else b''
        if urb.ep in d.halted:
            d.stats['stalled_urbs'] += 1
            self.finish(st, urb, -errno.EPIPE, 0)
            return
        if not data:
            d.stats['zlps'] += 1
        d.stats['bytes_out'] += len(data)
        if urb.ep == d.link_out and not d.mute:
            if d.behavior == 'echo':
                st['inq'] += data
            elif d.behavior == 'emulator' and st['emu'] is not None and data:
                try:
                    st['emu'].sendall(data)
                except OSError:
                    pass
        self.finish(st, urb, 0, len(data))

    def control(self, st, urb):
        setup = urb.buf.retrieve()[:8]
        request_type, request, value, index, length = struct.unpack('<BBHHH', setup)
        answer = None
        if request_type == 0x80 and request == 6:          # GET_DESCRIPTOR
            kind, number = value >> 8, value & 0xff
            if kind == 1:
                answer = self.device.desc[:18]
            elif kind == 2:
                answer = self.device.desc[18:]
            elif kind == 3:
                dev = self.device.dev
                strings = {1: dev['manufacturer'], 2: dev['product'], 3: dev['serial']}
                if number == 0:
                    answer = b'\x04\x03\x09\x04'
                elif number in strings:
                    text = strings[number].encode('utf-16-le')
                    answer = bytes([2 + len(text), 3]) + text
        elif request_type == 0x80 and request == 0:         # GET_STATUS
            answer = b'\x01\x00'
        elif request_type & 0x80 == 0:
            answer = b''
        if answer is None:
            self.finish(st, urb, -errno.EPIPE, 0)
        elif request_type & 0x80:
            answer = answer[:length]
            self.finish(st, urb, 0, len(answer), answer, 8)
        else:
            self.finish(st, urb, 0, length)


# ---------------------------------------------------------------------------------------------
# the bus and its control socket

class Bus:
    def __init__(self, testbed, emulators, trace):
        self.testbed, self.emulators, self.trace = testbed, emulators, trace
        self.devices = {}                            # bus path -> Device (plugged or gone)
        self.next_devnum = 2
        self.sticks, self.stick_blocks = {}, {}      # syspath -> port, syspath -> block device paths
        self.lock = threading.Lock()
        testbed.add_from_string(hub_record())

    def plug(self, request):
        if 'profile' in request and 'device' not in request:
            dev, behavior = profile_device(request['profile']), 'emulator'
        else:
            dev, behavior = request['device'], request.get('behavior', 'emulator')
        for iface in dev['interfaces']:
            iface.setdefault('subclass', 0)
            iface.setdefault('interfaceProtocol', 0)
        with self.lock:
            used = {d.port for d in self.devices.values() if not d.gone}
            port = request.get('port') or next(p for p in range(1, 9) if p not in used)
            if port in used:
                raise RuntimeError('port %d is taken' % port)
            devnum = self.next_devnum
            self.next_devnum += 1
        socket_path = self.emulators.socket_for(request.get('profile', 'aurora-c5540')) if behavior == 'emulator' else None
        device = Device(dev, behavior, port, devnum, socket_path)
        syspath, node, records = device_records(dev, port, devnum)
        device.handler = Handler(device, self.trace)
        self.testbed.attach_ioctl(node, device.handler)
        for text in records:
            self.testbed.add_from_string(text)       # emits "add" (the harness runs under the preload)
        with self.lock:
            self.devices[device.bus_path] = device
        return {'busPath': device.bus_path, 'devnode': node, 'syspath': syspath}

    def plug_stick(self, request):
        """A USB stick (no data behind it: udev and sysfs only, as umockdev has no block I/O)."""
        with self.lock:
            used = {d.port for d in self.devices.values() if not d.gone} | set(self.sticks.values())
            port = next(p for p in range(1, 9) if p not in used)
            devnum = self.next_devnum
            self.next_devnum += 1
        syspath, blocks, records = stick_records(request['stick'], port, devnum)
        for text in records:
            self.testbed.add_from_string(text)
        with self.lock:
            self.sticks[syspath] = port
            self.stick_blocks[syspath] = blocks
        return {'syspath': syspath}

    def unplug_stick(self, request):
        syspath = request['syspath']
        with self.lock:
            blocks = self.stick_blocks.pop(syspath)
            self.sticks.pop(syspath)
        interface = '%s/%s:1.0' % (syspath, os.path.basename(syspath))
        for path in list(reversed(blocks)) + [interface, syspath]:
            self.testbed.uevent('/sys' + path, 'remove')
        self.testbed.remove_device('/sys' + syspath)
        # As for machines: umockdev leaves the bus and class links behind; a stick plugged in
        # again (the same names) needs them gone.
        root = self.testbed.get_root_dir()
        for folder, name in [('bus/usb/devices', os.path.basename(syspath)), ('bus/usb/devices', os.path.basename(interface))] + [
                (folder, os.path.basename(block)) for block in blocks for folder in ('class/block', 'block')]:
            link = os.path.join(root, 'sys', folder, name)
            if os.path.islink(link):
                os.unlink(link)
        return {}

    def find(self, bus_path):
        with self.lock:
            device = self.devices.get(bus_path)
        if device is None:
            raise RuntimeError('no device at %s' % bus_path)
        return device

    def unplug(self, request):
        device = self.find(request['busPath'])
        with device.lock:
            if device.gone:
                return {}
            device.gone = True
            device.handler.fail_all(-errno.ENODEV)
        syspath = '%s/1-%d' % (BUS_SYSPATH, device.port)
        for iface in device.dev['interfaces']:
            self.testbed.uevent('%s/1-%d:1.%d' % (syspath, device.port, iface['number']), 'remove')
        self.testbed.uevent(syspath, 'remove')
        self.testbed.remove_device(syspath)
        # umockdev leaves the /sys/bus/usb/devices links behind; a replug into the same port
        # (same bus path, as on real hardware) needs them gone.
        links = os.path.join(self.testbed.get_root_dir(), 'sys', 'bus', 'usb', 'devices')
        for name in [device.bus_path] + ['%s:1.%d' % (device.bus_path, i['number']) for i in device.dev['interfaces']]:
            path = os.path.join(links, name)
            if os.path.islink(path):
                os.unlink(path)
        return {}

    def set(self, request):
        device = self.find(request['busPath'])
        with device.lock:
            if 'stall' in request:
                device.halted = set(request['stall'])
            if 'mute' in request:
                device.mute = bool(request['mute'])
            if 'hold' in request:
                device.hold = bool(request['hold'])
        return {}

    def stats(self, request):
        return self.find(request['busPath']).snapshot()

    def emulator(self, request):
        path = self.emulators.socket_for(request.get('profile', 'aurora-c5540'))
        folder = os.path.dirname(path)
        return {'state': os.path.join(folder, 'state'), 'socket': path, 'log': os.path.join(folder, 'emulate.log')}

    def reset(self, request):
        with self.lock:
            plugged = [d.bus_path for d in self.devices.values() if not d.gone]
        for bus_path in plugged:
            self.unplug({'busPath': bus_path})
        with self.lock:
            sticks = list(self.sticks)
        for syspath in sticks:
            self.unplug_stick({'syspath': syspath})
        return {}

    def serve(self, path):
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(8)

        def conversation(connection):
            with connection, connection.makefile('rwb', buffering=0) as stream:
                for line in stream:
                    try:
                        request = json.loads(line)
                        if self.trace:
                            print("[harness] control %s" % request, file=sys.stderr, flush=True)
                        answer = getattr(self, request['op'])(request)
                        answer = dict(answer, ok=True)
                    except Exception as error:   # answered, never fatal to the bus
                        answer = {'ok': False, 'error': '%s: %s' % (type(error).__name__, error)}
                    stream.write((json.dumps(answer) + '\n').encode())

        def accept_loop():
            while True:
                connection, _ = listener.accept()
                threading.Thread(target=conversation, args=(connection,), daemon=True).start()

        threading.Thread(target=accept_loop, daemon=True).start()


def main():
    argv = sys.argv[1:]
    if '--' not in argv:
        sys.exit(__doc__)
    options, command = argv[:argv.index('--')], argv[argv.index('--') + 1:]
    binary = options[options.index('--mfpbridge') + 1] if '--mfpbridge' in options else None
    trace = '--trace' in options
    if not binary or not os.access(binary, os.X_OK):
        sys.exit('harness.py: --mfpbridge BIN must name the built mfpbridge executable')

    # Synthesized uevents reach the clients only when the harness itself runs under the preload.
    if 'libumockdev-preload' not in os.environ.get('LD_PRELOAD', ''):
        os.environ['LD_PRELOAD'] = ('libumockdev-preload.so.0:' + os.environ.get('LD_PRELOAD', '')).rstrip(':')
        os.execv(sys.executable, [sys.executable] + sys.argv)

    work = tempfile.mkdtemp(prefix='mfpbridge-usb-harness-')
    testbed = UMockdev.Testbed.new()
    emulators = Emulators(binary, work, trace)
    bus = Bus(testbed, emulators, trace)
    control = os.path.join(work, 'control.sock')
    bus.serve(control)
    env = dict(os.environ, UMOCKDEV_DIR=testbed.get_root_dir(), MFPB_USB_HARNESS=control)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # terminated: stop the emulators (finally below)
    try:
        rc = subprocess.call(command, env=env)
    finally:
        emulators.stop()
    sys.exit(rc)


if __name__ == '__main__':
    main()
