import Foundation
import MFPKit

// One flat JSON object per message; absent fields are omitted. Keys are sorted so that the
// same message always gives the same bytes (the test vectors in docs/protocol.md rely on it).

private struct Body: Codable {
    var op: String
    var minVersion: Int?
    var maxVersion: Int?
    var software: String?
    var user: String?
    var proof: String?
    var operation: String?
    var categories: [SettingCategory]?
    var token: String?
    var version: Int?
    var model: String?
    var serialNumber: String?
    var firmware: String?
    var salt: String?
    var nonce: String?
    var role: String?
    var status: DeviceStatus?
    var expiresInSeconds: Int?
    var error: DeviceFailure?
    var selections: [CategorySelection]?
    var origin: BundleOrigin?
    var size: Int?
    var sha256: String?
    var stream: UInt32?
    var plan: ImportPlan?
    var capabilities: DeviceCapabilities?
    var transferID: UInt64?
    var totalSize: UInt64?
    var chain: String?
    var documents: Int?
    var applied: Bool?
    var appliedAt: Date?
    var trailer: String?

    init(op: String) { self.op = op }
}

private func makeEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
}

private func makeDecoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
}

private func encodeBody(_ body: Body) -> [UInt8] {
    // Encoding plain Codable values cannot fail.
    Array(try! makeEncoder().encode(body))
}

private func decodeBody(_ bytes: [UInt8]) throws(MessageDecodingError) -> Body {
    do {
        return try makeDecoder().decode(Body.self, from: Data(bytes))
    } catch {
        throw MessageDecodingError(description: "malformed control message: \(error)")
    }
}

private func required<T>(_ value: T?, _ name: String, _ op: String) throws(MessageDecodingError) -> T {
    guard let value else { throw MessageDecodingError(description: "message \(op) lacks \(name)") }
    return value
}

extension Request {
    public func encoded() -> [UInt8] {
        var body = Body(op: op)
        switch self {
        case let .hello(minVersion, maxVersion, software):
            body.minVersion = minVersion
            body.maxVersion = maxVersion
            body.software = software
        case let .loginChallenge(user):
            body.user = user
        case let .login(user, proof):
            body.user = user
            body.proof = proof
        case .status, .capabilities:
            break
        case let .reserve(operation, categories):
            body.operation = operation
            body.categories = categories
        case let .keepalive(token), let .release(token), let .importStage(token), let .importCommit(token), let .importAbort(token):
            body.token = token
        case let .boxExportOpen(token):
            body.token = token
        case let .boxImportBegin(token, transferID, size, trailer):
            body.token = token
            body.transferID = transferID
            body.totalSize = size
            body.trailer = trailer
        case let .boxImportCommit(token, size, chain):
            body.token = token
            body.totalSize = size
            body.chain = chain
        case let .transferOutcome(operation, transferID):
            body.operation = operation
            body.transferID = transferID
        case let .exportOpen(token, categories):
            body.token = token
            body.selections = categories
        case let .importBegin(token, origin, categories, size, sha256, transferID):
            body.token = token
            body.origin = origin
            body.selections = categories
            body.size = size
            body.sha256 = sha256
            body.transferID = transferID
        }
        return encodeBody(body)
    }

    public static func decode(_ bytes: [UInt8]) throws(MessageDecodingError) -> Request {
        let body = try decodeBody(bytes)
        let op = body.op
        switch op {
        case "hello":
            return .hello(
                minVersion: try required(body.minVersion, "minVersion", op),
                maxVersion: try required(body.maxVersion, "maxVersion", op),
                software: body.software ?? "")
        case "login-challenge":
            return .loginChallenge(user: try required(body.user, "user", op))
        case "login":
            return .login(user: try required(body.user, "user", op), proof: try required(body.proof, "proof", op))
        case "status":
            return .status
        case "capabilities":
            return .capabilities
        case "reserve":
            return .reserve(operation: try required(body.operation, "operation", op), categories: body.categories ?? [])
        case "keepalive":
            return .keepalive(token: try required(body.token, "token", op))
        case "release":
            return .release(token: try required(body.token, "token", op))
        case "export-open":
            return .exportOpen(token: try required(body.token, "token", op), categories: try required(body.selections, "selections", op))
        case "import-begin":
            return .importBegin(
                token: try required(body.token, "token", op), origin: try required(body.origin, "origin", op),
                categories: try required(body.selections, "selections", op),
                size: try required(body.size, "size", op), sha256: try required(body.sha256, "sha256", op),
                transferID: try required(body.transferID, "transferID", op))
        case "import-stage":
            return .importStage(token: try required(body.token, "token", op))
        case "import-commit":
            return .importCommit(token: try required(body.token, "token", op))
        case "import-abort":
            return .importAbort(token: try required(body.token, "token", op))
        case "box-export-open":
            return .boxExportOpen(token: try required(body.token, "token", op))
        case "box-import-begin":
            return .boxImportBegin(
                token: try required(body.token, "token", op), transferID: try required(body.transferID, "transferID", op),
                size: try required(body.totalSize, "totalSize", op), trailer: try required(body.trailer, "trailer", op))
        case "box-import-commit":
            return .boxImportCommit(
                token: try required(body.token, "token", op), size: try required(body.totalSize, "totalSize", op),
                chain: try required(body.chain, "chain", op))
        case "transfer-outcome":
            return .transferOutcome(
                operation: try required(body.operation, "operation", op),
                transferID: try required(body.transferID, "transferID", op))
        default:
            throw MessageDecodingError(description: "unknown request \(op)")
        }
    }
}

extension Response {
    public func encoded() -> [UInt8] {
        var body: Body
        switch self {
        case let .hello(version, model, serialNumber, firmware):
            body = Body(op: "hello")
            body.version = version
            body.model = model
            body.serialNumber = serialNumber
            body.firmware = firmware
        case let .challenge(salt, nonce):
            body = Body(op: "challenge")
            body.salt = salt
            body.nonce = nonce
        case let .loggedIn(user, role):
            body = Body(op: "logged-in")
            body.user = user
            body.role = role
        case let .status(status):
            body = Body(op: "status")
            body.status = status
        case let .capabilities(capabilities):
            body = Body(op: "capabilities")
            body.capabilities = capabilities
        case let .reserved(token, expiresInSeconds):
            body = Body(op: "reserved")
            body.token = token
            body.expiresInSeconds = expiresInSeconds
        case let .exportReady(stream, transferID, size, sha256, origin):
            body = Body(op: "export-ready")
            body.stream = stream
            body.transferID = transferID
            body.size = size
            body.sha256 = sha256
            body.origin = origin
        case let .importReady(stream):
            body = Body(op: "import-ready")
            body.stream = stream
        case let .streamReady(stream, transferID, size, documents, origin):
            body = Body(op: "stream-ready")
            body.stream = stream
            body.transferID = transferID
            body.totalSize = size
            body.documents = documents
            body.origin = origin
        case let .importPlan(plan):
            body = Body(op: "import-plan")
            body.plan = plan
        case let .transferOutcome(applied, appliedAt):
            body = Body(op: "transfer-outcome")
            body.applied = applied
            body.appliedAt = appliedAt
        case .ok:
            body = Body(op: "ok")
        case let .failure(failure):
            body = Body(op: "error")
            body.error = failure
        }
        return encodeBody(body)
    }

    public static func decode(_ bytes: [UInt8]) throws(MessageDecodingError) -> Response {
        let body = try decodeBody(bytes)
        let op = body.op
        switch op {
        case "hello":
            return .hello(
                version: try required(body.version, "version", op), model: body.model ?? "",
                serialNumber: body.serialNumber ?? "", firmware: body.firmware ?? "")
        case "challenge":
            return .challenge(salt: try required(body.salt, "salt", op), nonce: try required(body.nonce, "nonce", op))
        case "logged-in":
            return .loggedIn(user: try required(body.user, "user", op), role: body.role ?? "")
        case "status":
            return .status(try required(body.status, "status", op))
        case "capabilities":
            return .capabilities(try required(body.capabilities, "capabilities", op))
        case "reserved":
            return .reserved(token: try required(body.token, "token", op), expiresInSeconds: body.expiresInSeconds ?? 0)
        case "export-ready":
            return .exportReady(
                stream: try required(body.stream, "stream", op), transferID: try required(body.transferID, "transferID", op),
                size: try required(body.size, "size", op),
                sha256: try required(body.sha256, "sha256", op), origin: try required(body.origin, "origin", op))
        case "import-ready":
            return .importReady(stream: try required(body.stream, "stream", op))
        case "stream-ready":
            return .streamReady(
                stream: try required(body.stream, "stream", op), transferID: try required(body.transferID, "transferID", op),
                size: try required(body.totalSize, "totalSize", op), documents: body.documents ?? 0,
                origin: try required(body.origin, "origin", op))
        case "import-plan":
            return .importPlan(try required(body.plan, "plan", op))
        case "transfer-outcome":
            return .transferOutcome(applied: try required(body.applied, "applied", op), appliedAt: body.appliedAt)
        case "ok":
            return .ok
        case "error":
            return .failure(try required(body.error, "error", op))
        default:
            throw MessageDecodingError(description: "unknown response \(op)")
        }
    }
}

/// The protocol versions this build speaks.
public enum ProtocolVersion {
    public static let minimum = 1
    public static let maximum = 1
}
