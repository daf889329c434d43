import Foundation

/// A timeline of control commands for bench rigs: one event a line, `SECONDS COMMAND...`,
/// seconds counted from the emulator's start; `#` starts a comment.
///
///     # a fax arrives after one second and is done two seconds later
///     1.0 job start fax
///     3.0 job finish all
///     4.5 error raise E602-0001
public struct Scenario: Sendable, Equatable {
    public struct Event: Sendable, Equatable {
        public var at: Double
        public var command: ControlCommand
    }

    public var events: [Event]

    public static func parse(_ text: String, name: String = "scenario") throws(EmulatorError) -> Scenario {
        var events: [Event] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let first = words.first else { continue }
            guard let at = Double(first), at >= 0 else {
                throw EmulatorError("\(name) line \(index + 1): expected seconds first, found '\(first)'")
            }
            let command: ControlCommand
            do {
                command = try ControlCommand.parse(Array(words.dropFirst()))
            } catch {
                throw EmulatorError("\(name) line \(index + 1): \(error.description.split(separator: "\n").first ?? "")")
            }
            events.append(Event(at: at, command: command))
        }
        return Scenario(events: events.sorted { $0.at < $1.at })
    }
}

extension VirtualMFP {
    /// Plays a scenario on its own thread; a refused command is logged and the timeline goes on.
    public func play(_ scenario: Scenario) {
        // On the machine's own clock (injected: a test moves it by hand), looked at every 20 ms.
        let start = now()
        let thread = Thread { [self] in
            for event in scenario.events {
                let due = start.addingTimeInterval(event.at)
                while case let wait = due.timeIntervalSince(now()), wait > 0 {
                    Thread.sleep(forTimeInterval: min(wait, 0.02))
                }
                do {
                    let output = try apply(event.command)
                    logger.info("scenario at \(event.at)s: \(event.command) -> \(output)")
                } catch {
                    logger.warning("scenario at \(event.at)s: \(event.command) refused: \(error)")
                }
            }
        }
        thread.start()
    }
}
