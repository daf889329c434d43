// The stick writer against a raw copy (docs/performance.md, "Backups to a stick"): the same box
// backup written to the same folder, once by `PowerSafeWriter` (partial name, fsync, rename,
// fsync again, folder fsync, syncfs, the page cache dropped and every byte read back from the
// medium and its seal checked) and once raw (write in 1 MiB pieces, fsync, close: what `cp` and
// `sync` do). Rounds alternate the order; the best of each is kept; the ratio is raw / writer.

import ArgumentParser
import BridgeClient
import BridgeSystem
import Foundation
import MFPMedia

#if canImport(Glibc)
import Glibc
#endif

struct MediaWriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media-write", abstract: "Writing a box backup to a stick: the power-safe writer against a raw copy.")

    @Option(help: "The box backup to write (a real one: the writer checks its seal).") var file: String
    @Option(help: "A folder on the medium to measure (it is left as found).") var folder: String
    @Option(help: "Rounds of each (the best is kept).") var rounds = 3

    func run() throws {
        guard BoxBackupFile.isBoxBackup(path: file) else { fail("\(file) is not a box backup") }
        let size = (try? Syscall.stat(file).st_size).map(UInt64.init) ?? 0
        var rawBest = Double.infinity
        var writerBest = Double.infinity
        let clock = ContinuousClock()
        for round in 0..<rounds {
            let order = round % 2 == 0 ? [true, false] : [false, true]
            for raw in order {
                let name = "bench-\(round)-\(raw ? "raw" : "writer").mfpbox"
                let took: Double
                if raw {
                    took = seconds(clock.measure { rawCopy(to: "\(folder)/\(name)") })
                    rawBest = min(rawBest, took)
                } else {
                    let target: MediaFolder
                    do throws(MediaError) { target = try MediaFolder(opening: folder) } catch { fail("\(error)") }
                    took = seconds(
                        clock.measure {
                            do throws(MediaError) {
                                _ = try PowerSafeWriter.write(
                                    file, into: target, as: name, verify: { _ = try BoxBackupFile.verify(path: $0) })
                            } catch {
                                fail("\(error)")
                            }
                        })
                    writerBest = min(writerBest, took)
                }
                _ = try? Syscall.unlink("\(folder)/\(name)")
                try? Syscall.syncDirectory(folder)
                print("  round \(round + 1) \(raw ? "raw copy" : "writer  ") \(format(took, 3)) s")
            }
        }
        let mib = Double(size) / 1_048_576
        print("raw copy (write, fsync)        \(format(mib / rawBest, 1)) MiB/s")
        print("power-safe writer + read-back  \(format(mib / writerBest, 1)) MiB/s")
        print("ratio writer/raw               \(format(rawBest / writerBest, 2))  (goal: at least 0.9)")
    }

    private func rawCopy(to path: String) {
        do throws(SystemError) {
            let input = try Syscall.open(file, O_RDONLY | O_CLOEXEC)
            defer { Syscall.close(input) }
            let output = try Syscall.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o644)
            defer { Syscall.close(output) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: PowerSafeWriter.pieceSize, alignment: 4096)
            defer { buffer.deallocate() }
            var offset: UInt64 = 0
            while true {
                let count = try Syscall.pread(input, into: buffer, at: offset)
                if count == 0 { break }
                try Syscall.writeAll(output, UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                offset += UInt64(count)
            }
            try Syscall.fsync(output)
        } catch {
            fail("raw copy: \(error)")
        }
    }
}
