/// Where a resumed stream starts. Pure: the receiver's offer (its durable checkpoints, newest
/// first) against the sender's journal, in one round trip, reading no prefix on either side.
public enum ResumePlanner {
    /// What the sender decided.
    public struct Decision: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// The receiver's newest checkpoint: nothing is sent twice.
            case continueLatest
            /// An earlier checkpoint both sides hold with the same hash.
            case fallBack
            /// From offset 0.
            case restart
        }

        public var kind: Kind
        /// The start: offset, chain hash and block base (``ChainPoint/start`` for a restart).
        public var point: ChainPoint
        /// Candidates refused, with why, in offer order.
        public var refused: [Refusal]
    }

    public struct Refusal: Sendable, Equatable {
        public enum Reason: Sendable, Equatable {
            /// The sender holds a record at this offset with another hash: never continue there.
            case hashMismatch
            /// No record at this offset and no way to recompute it.
            case unknown
            /// Beyond the end of the sender's source.
            case pastEnd
        }

        public var offset: UInt64
        public var reason: Reason

        public init(offset: UInt64, reason: Reason) {
            self.offset = offset
            self.reason = reason
        }
    }

    /// The rule (docs/protocol.md, "Resumable streams"): take the first candidate, newest first,
    /// that is within the source and whose (offset, hash) the journal holds exactly, or that
    /// `recompute` (when given: the chain at an offset recomputed from the source) confirms; a
    /// candidate whose offset the journal holds with another hash is refused; no candidate left
    /// means restart from 0.
    public static func decide(
        offer: [(offset: UInt64, hash: ChainHash)],
        journal: [ChainPoint],
        sourceSize: UInt64,
        recompute: ((UInt64) -> ChainPoint?)? = nil
    ) -> Decision {
        var refused: [Refusal] = []
        for (index, candidate) in offer.enumerated() {
            if candidate.offset == 0 { break } // the start: same as a restart
            guard candidate.offset <= sourceSize else {
                refused.append(Refusal(offset: candidate.offset, reason: .pastEnd))
                continue
            }
            let atOffset = journal.filter { $0.offset == candidate.offset }
            if let match = atOffset.last(where: { $0.hash == candidate.hash }) {
                return Decision(kind: index == 0 ? .continueLatest : .fallBack, point: match, refused: refused)
            }
            if !atOffset.isEmpty {
                refused.append(Refusal(offset: candidate.offset, reason: .hashMismatch))
                continue
            }
            if let recompute, let point = recompute(candidate.offset), point.offset == candidate.offset {
                if point.hash == candidate.hash {
                    return Decision(kind: index == 0 ? .continueLatest : .fallBack, point: point, refused: refused)
                }
                refused.append(Refusal(offset: candidate.offset, reason: .hashMismatch))
                continue
            }
            refused.append(Refusal(offset: candidate.offset, reason: .unknown))
        }
        return Decision(kind: .restart, point: .start, refused: refused)
    }
}
