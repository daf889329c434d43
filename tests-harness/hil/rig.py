#!/usr/bin/python3
"""The HIL rig's host side: boots the guest under QEMU, serves the emulated machines to it as USB
devices over usbredir, answers the guest's requests on the rig line, and reports.

Usage: rig.py --bin DIR --guest DIR [--profile NAME] [--target NAME] [--only A,B] [--scale F] [--keep]

Devices on the guest's xHCI controller, one `mfpbridge emulate --usbredir` each:
  port 1  --profile (default aurora-c5540): the machine the scenarios back up and watch
  port 2  --target (default: a sibling of the same series, else a second machine of the same
          profile): the machine imports go to
  port 3  "lab-mfp": the main profile under vendor 1209 (pid.codes), listed in the quirks file
          but not covered by the udev rule
The guest's console is WORK/console.log; each scenario's output WORK/logs/NAME.log.

Rig line (the guest's ttyS1, a Unix socket here): the guest writes `REQ ID VERB ARGS...`, the
host answers `ACK ID ok TEXT` or `ACK ID error TEXT`. Verbs:
  ctl PROFILE WORDS...   mfpbridge emulate-ctl --state STATE WORDS (its output, on one line)
  power-cut PROFILE      emulate-ctl power-cut, then waits until the emulator process is gone
  power-on PROFILE       starts the emulator again on the same state and usbredir socket

Every process started here (QEMU, emulators) is recorded in WORK/pids and stopped by its PID.
Prints one line per scenario and `N passed, N failed`; exits 1 on any failure.
"""
import argparse, json, os, shutil, signal, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))
PROFILES = os.path.join(REPO, 'firmware-fixtures', 'profiles')
LAB_VENDOR, LAB_PRODUCT, LAB_SERIAL = 0x1209, 0x7A01, 'LAB-MFP-0001'
SCALED_CAPACITIES = ('addressBookEntries', 'authenticationUsers', 'departmentIDs', 'oneTouchEntries', 'personalSettingsUsers')


def load_profile(name, folder=PROFILES):
    with open(os.path.join(folder, name + '.json')) as f:
        return json.load(f)


def default_target(profile):
    """A sibling of the same series, else a second machine of the profile (PROFILE-second: another
    serial number, so other generated settings): an import that changes something."""
    series = load_profile(profile)['series']
    for file in sorted(os.listdir(PROFILES)):
        name = file[:-5]
        if file.endswith('.json') and name != profile and load_profile(name).get('series') == series:
            return name
    return profile + '-second'


class Machine:
    """One emulated machine on one usbredir port."""

    def __init__(self, rig, key, profile, port):
        self.rig, self.key, self.profile, self.port = rig, key, profile, port
        self.state = os.path.join(rig.work, 'state-' + key)
        self.socket = os.path.join(rig.work, 'redir-%d.sock' % port)
        self.process = None

    def start(self):
        log = open(os.path.join(self.rig.work, 'logs', 'emulate-%s.log' % self.key), 'ab')
        env = dict(os.environ, MFPBRIDGE_DATA_DIR=os.path.join(self.rig.work, 'host-data'))
        self.process = subprocess.Popen(
            [self.rig.mfpbridge, 'emulate', '--profile', self.profile, '--profiles', self.rig.profiles,
             '--state', self.state, '--usbredir', 'unix:' + self.socket] + (['--usb-echo'] if self.rig.args.bench else []),
            stdout=subprocess.PIPE, stderr=log, env=env)
        self.rig.record(self.process.pid, 'emulate ' + self.key)
        line = self.process.stdout.readline().decode()
        if not line.startswith('ready '):
            raise RuntimeError('mfpbridge emulate (%s) did not start: %r' % (self.key, line))

    def ctl(self, words):
        result = subprocess.run([self.rig.mfpbridge, 'emulate-ctl', '--state', self.state] + words,
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(result.stderr.strip() or 'emulate-ctl exited %d' % result.returncode)
        return result.stdout

    def power_cut(self):
        self.ctl(['power-cut'])
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise RuntimeError('the emulator did not end after power-cut')

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Stick:
    """A USB stick (usb-storage) on its own port, its image a file in the work folder, pulled and
    plugged back with QMP device_del and device_add, as a technician yanks a stick."""

    def __init__(self, rig, fs, port, key=None, locked=False):
        """`locked`: the stick's write-protect switch is on (its image read-only: the kernel's sd
        driver reads the switch, sysfs ro is 1)."""
        self.rig, self.fs, self.port, self.locked = rig, fs, port, locked
        self.key = key or fs.upper()
        self.name = 'stick-' + self.key.lower()
        self.label = 'MFP' + self.key
        self.serial = 'MFPSTICK-%s' % self.key
        self.image = os.path.join(rig.work, self.name + '.img')

    def make(self, mib=64):
        subprocess.run([os.path.join(HERE, 'make-stick.sh'), self.fs, str(mib), self.image, self.label], check=True)

    def device(self):
        return {'driver': 'usb-storage', 'id': self.name, 'bus': 'xhci.0', 'port': str(self.port),
                'drive': self.name + '-disk', 'removable': 'on', 'serial': self.serial}

    def arguments(self):
        ro = ',read-only=on' if self.locked else ''
        return ['-blockdev', 'driver=file,filename=%s,node-name=%s-file%s' % (self.image, self.name, ro),
                '-blockdev', 'driver=raw,file=%s-file,node-name=%s-disk%s' % (self.name, self.name, ro),
                '-device', ','.join('%s=%s' % kv for kv in self.device().items())]


class QMP:
    """QEMU's machine protocol on a Unix socket: one command at a time, its answer read back."""

    def __init__(self, path):
        self.path, self.stream, self.events = path, None, []

    def deleted(self, device, timeout=10):
        """Waits for QEMU's DEVICE_DELETED event of `device` (device_del returns before it is gone)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(e.get('event') == 'DEVICE_DELETED' and e.get('data', {}).get('device') == device for e in self.events):
                return
            self.stream.flush()
            line = self.stream.readline()
            if line:
                self.events.append(json.loads(line))
        raise RuntimeError('QEMU did not delete %s within %d s' % (device, timeout))

    def command(self, name, arguments=None):
        if self.stream is None:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.connect(self.path)
            self.stream = connection.makefile('rw')
            self.stream.readline()
            self.stream.write(json.dumps({'execute': 'qmp_capabilities'}) + '\n')
            self.stream.flush()
            self.stream.readline()
        self.stream.write(json.dumps({'execute': name, 'arguments': arguments or {}}) + '\n')
        self.stream.flush()
        while True:
            answer = json.loads(self.stream.readline())
            if 'event' in answer:
                self.events.append(answer)
                continue
            if 'error' in answer:
                raise RuntimeError('QMP %s: %s' % (name, answer['error'].get('desc')))
            if 'return' in answer:
                return answer['return']


class Rig:
    def __init__(self, args):
        self.args = args
        self.mfpbridge = os.path.join(args.bin, 'mfpbridge')
        self.work = args.work or tempfile.mkdtemp(prefix='mfpb-hil-')
        os.makedirs(os.path.join(self.work, 'logs'), exist_ok=True)
        os.makedirs(os.path.join(self.work, 'out'), exist_ok=True)
        os.chmod(self.work, 0o755)
        os.chmod(os.path.join(self.work, 'out'), 0o1777)
        self.profiles = os.path.join(self.work, 'profiles')
        self.pids = os.path.join(self.work, 'pids')
        self.qemu = None
        main, target = args.profile, args.target or default_target(args.profile)
        self.machines = {main: Machine(self, main, main, 1)}
        if target not in self.machines:
            self.machines[target] = Machine(self, target, target, 2)
        self.machines['lab-mfp'] = Machine(self, 'lab-mfp', 'lab-mfp', 3)
        self.main, self.target = self.machines[main], self.machines[target]
        self.sticks = {s.name: s for s in (
            Stick(self, 'vfat', 4), Stick(self, 'exfat', 5), Stick(self, 'vfat', 6, key='LOCKED', locked=True))}
        self.qmp = QMP(os.path.join(self.work, 'qmp.sock'))

    def record(self, pid, what):
        with open(self.pids, 'a') as f:
            f.write('%d %s\n' % (pid, what))

    def write_fixtures(self):
        """The profiles (with lab-mfp), the quirks file and the guest's environment."""
        shutil.copytree(PROFILES, self.profiles, dirs_exist_ok=True)
        # The rig proves the USB stack, not the settings' volume: --scale shrinks the fixtures'
        # item counts (a debug build under TCG runs about 15 times slower than on the host).
        for file in os.listdir(self.profiles):
            if file.endswith('.json'):
                profile = load_profile(file[:-5], self.profiles)
                for key in SCALED_CAPACITIES:
                    profile['capacities'][key] = max(5, int(profile['capacities'][key] * self.args.scale))
                with open(os.path.join(self.profiles, file), 'w') as f:
                    json.dump(profile, f, indent=1)
        if self.target.profile.endswith('-second') and not os.path.exists(os.path.join(PROFILES, self.target.profile + '.json')):
            second = load_profile(self.main.profile, self.profiles)
            second['name'] = self.target.profile
            second['serialNumber'] += '-2'
            second['usb']['serial'] += '-2'
            with open(os.path.join(self.profiles, self.target.profile + '.json'), 'w') as f:
                json.dump(second, f, indent=1)
        lab = load_profile(self.main.profile, self.profiles)
        lab['name'] = 'lab-mfp'
        lab['serialNumber'] = LAB_SERIAL
        lab['usb'].update(vendorID=LAB_VENDOR, productID=LAB_PRODUCT, serial=LAB_SERIAL, product='Lab MFP')
        with open(os.path.join(self.profiles, 'lab-mfp.json'), 'w') as f:
            json.dump(lab, f, indent=1)
        with open(os.path.join(self.work, 'quirks.json'), 'w') as f:
            json.dump({'devices': [{'vendorID': '%04x' % LAB_VENDOR, 'productID': '%04x' % LAB_PRODUCT,
                                    'model': 'Lab MFP'}]}, f)
        main, target = (load_profile(m.profile, self.profiles)['usb'] for m in (self.main, self.target))
        lines = {
            'MAIN_PROFILE': self.main.profile, 'MAIN_VID': '%04x' % main['vendorID'],
            'MAIN_PID': '%04x' % main['productID'], 'MAIN_SERIAL': main['serial'], 'MAIN_PRODUCT': main['product'],
            'MAIN_INTERFACES': str(len(main['interfaces'])),
            'MAIN_ADDR': 'usb:%04x:%04x:%s' % (main['vendorID'], main['productID'], main['serial']),
            'MAIN_STATE': '/tmp/work/state-' + self.main.key, 'TARGET_STATE': '/tmp/work/state-' + self.target.key,
            'TARGET_PROFILE': self.target.profile, 'TARGET_SERIAL': target['serial'],
            'TARGET_ADDR': 'usb:%04x:%04x:%s' % (target['vendorID'], target['productID'], target['serial']),
            'LAB_SERIAL': LAB_SERIAL, 'LAB_ADDR': 'usb:%04x:%04x' % (LAB_VENDOR, LAB_PRODUCT),
        }
        for stick in self.sticks.values():
            stick.make()
            lines.update({'STICK_%s_LABEL' % stick.key: stick.label, 'STICK_%s_SERIAL' % stick.key: stick.serial})
        with open(os.path.join(self.work, 'rig.env'), 'w') as f:
            for key, value in lines.items():
                f.write("export %s='%s'\n" % (key, value))

    def boot(self):
        append = ('console=ttyS0 quiet loglevel=4 panic=-1 usbcore.autosuspend=-1 HIL_REPO=%s HIL_BIN=%s%s'
                  % (REPO, self.args.bin, ' HIL_ONLY=' + self.args.only if self.args.only else ''))
        if self.args.bench:
            append += ' HIL_SET=bench'
        command = ['qemu-system-x86_64', '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', '2', '-m', '1024', '-machine', 'q35',
                   '-kernel', os.path.join(self.args.guest, 'vmlinuz'), '-initrd', os.path.join(self.args.guest, 'initrd.gz'),
                   '-append', append, '-nographic', '-no-reboot', '-nodefaults',
                   '-serial', 'file:' + os.path.join(self.work, 'console.log'),
                   '-chardev', 'socket,id=rig,path=%s,server=on,wait=off' % os.path.join(self.work, 'rig.sock'),
                   '-serial', 'chardev:rig',
                   '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
                   '-virtfs', 'local,path=%s,mount_tag=work,security_model=none,multidevs=remap' % self.work,
                   '-qmp', 'unix:%s,server=on,wait=off' % os.path.join(self.work, 'qmp.sock'),
                   '-device', 'qemu-xhci,id=xhci,p2=8,p3=8']
        for stick in self.sticks.values():
            command += stick.arguments()
        for machine in self.machines.values():
            command += ['-chardev', 'socket,id=redir%d,path=%s,server=on,wait=off' % (machine.port, machine.socket),
                        '-device', 'usb-redir,chardev=redir%d,id=usb%d,bus=xhci.0,port=%d' % (machine.port, machine.port, machine.port)]
        self.qemu = subprocess.Popen(command, stdout=open(os.path.join(self.work, 'logs', 'qemu.log'), 'wb'),
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.record(self.qemu.pid, 'qemu')
        for _ in range(100):
            if all(os.path.exists(m.socket) for m in self.machines.values()):
                break
            time.sleep(0.05)
        for machine in self.machines.values():
            machine.start()

    def console(self):
        try:
            with open(os.path.join(self.work, 'console.log'), errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def answer(self, words):
        verb, rest = words[0], words[1:]
        if verb in ('stick-pull', 'stick-plug'):
            stick = self.sticks.get(rest[0]) if rest else None
            if stick is None:
                raise RuntimeError('no stick %r on the rig (%s)' % (rest[:1], ', '.join(self.sticks)))
            if verb == 'stick-pull':
                self.qmp.events = []
                self.qmp.command('device_del', {'id': stick.name})
                self.qmp.deleted(stick.name)
                return 'pulled'
            self.qmp.command('device_add', stick.device())
            return 'plugged in'
        machine = self.machines.get(rest[0]) if rest else None
        if machine is None:
            raise RuntimeError('no machine %r on the rig' % (rest[:1],))
        if verb == 'ctl':
            return ' '.join(machine.ctl(rest[1:]).split())
        if verb == 'power-cut':
            machine.power_cut()
            return 'power cut'
        if verb == 'power-on':
            machine.start()
            return 'powered on'
        raise RuntimeError('unknown request %r' % verb)

    def serve(self, deadline):
        """Answers the rig line until the guest is done, QEMU ends or the deadline passes."""
        line = None
        while time.time() < deadline and self.qemu.poll() is None and line is None:
            try:
                line = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                line.connect(os.path.join(self.work, 'rig.sock'))
            except OSError:
                line = None
                time.sleep(0.05)
        buffer = b''
        while line is not None and time.time() < deadline and self.qemu.poll() is None:
            if 'HIL-DONE' in self.console():
                break
            line.settimeout(0.2)
            try:
                chunk = line.recv(4096)
            except socket.timeout:
                continue
            if not chunk:
                break
            buffer += chunk
            while b'\n' in buffer:
                text, buffer = buffer.split(b'\n', 1)
                parts = text.decode(errors='replace').strip().split()
                if len(parts) < 3 or parts[0] != 'REQ':
                    continue
                try:
                    reply = 'ACK %s ok %s' % (parts[1], self.answer(parts[2:]))
                except Exception as error:  # the guest reads why; the rig goes on
                    reply = 'ACK %s error %s' % (parts[1], ' '.join(str(error).split()))
                line.sendall(reply.encode() + b'\n')
        for _ in range(100):
            if self.qemu.poll() is not None:
                break
            time.sleep(0.1)

    def stop(self):
        for machine in self.machines.values():
            machine.stop()
        if self.qemu and self.qemu.poll() is None:
            self.qemu.terminate()
            try:
                self.qemu.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.qemu.kill()

    def report(self, started):
        text = self.console()
        plan = next((l.split()[1:] for l in text.splitlines() if l.startswith('HIL-PLAN')), None)
        results = {}
        for l in text.splitlines():
            if l.startswith('HIL-RESULT '):
                parts = l.split(None, 3)
                results[parts[2]] = l[len('HIL-RESULT '):]
        passed = failed = 0
        if plan is None:
            print('rig: the guest never listed its scenarios; its console:\n' + text[-3000:])
            failed = 1
        for name in plan or []:
            result = results.get(name)
            if result is None:
                result = 'FAIL %s: no result (the guest stopped or the rig timed out)' % name
            print('  ' + result)
            if result.startswith('PASS'):
                passed += 1
            else:
                failed += 1
                log = os.path.join(self.work, 'logs', name + '.log')
                if os.path.exists(log):
                    with open(log, errors='replace') as f:
                        tail = f.read().splitlines()[-25:]
                    print('\n'.join('      | ' + t for t in tail))
            log = os.path.join(self.work, 'logs', name + '.log')
            if os.path.exists(log):
                with open(log, errors='replace') as f:
                    for measured in f.read().splitlines():
                        if measured.startswith('bench-hil:'):
                            print('    ' + measured)
        for l in text.splitlines():
            if l.startswith(('HIL-GUEST-UP', 'HIL-UDEV-READY', 'HIL-DONE')):
                print('  guest: ' + l[4:])
        print('hil-rig: %s on %s, target %s, in %.0f s (work folder %s)'
              % ('guest under QEMU (TCG)', self.main.profile, self.target.profile, time.time() - started, self.work))
        print('%d passed, %d failed' % (passed, failed))
        return failed == 0 and passed > 0


def main():
    parser = argparse.ArgumentParser(description='HIL rig: a real kernel and udevd in a QEMU guest against emulated USB MFPs')
    parser.add_argument('--bin', required=True, help='folder of the built mfpbridge')
    parser.add_argument('--guest', required=True, help='folder of vmlinuz and initrd.gz (prepare-guest.sh)')
    parser.add_argument('--profile', default='aurora-c5540')
    parser.add_argument('--target', help='the machine imports go to (default: a series sibling)')
    parser.add_argument('--only', help='comma-separated scenario names')
    parser.add_argument('--work', help='work folder (default: a new temporary folder)')
    parser.add_argument('--keep', action='store_true', help='keep the work folder')
    parser.add_argument('--timeout', type=int, default=600)
    parser.add_argument('--bench', action='store_true',
                        help='run the benchmarks of tests-harness/hil/bench instead of the scenarios (the emulators echo on their printer interface)')
    parser.add_argument('--scale', type=float, default=1.0,
                        help="scale the profiles' item capacities (address book, users, ...) by this factor")
    args = parser.parse_args()
    rig = Rig(args)
    started = time.time()
    ok = False
    try:
        rig.write_fixtures()
        rig.boot()
        rig.serve(started + args.timeout)
    finally:
        rig.stop()
        ok = rig.report(started)
        if ok and not args.keep and not args.work:
            shutil.rmtree(rig.work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
