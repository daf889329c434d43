/// Text as part of a file name: letters, digits and `-_.` are kept, anything else becomes `_`.
public func fileNameSafe(_ text: String) -> String {
    String(text.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
}
