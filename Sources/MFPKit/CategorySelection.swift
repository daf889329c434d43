/// What an operation touches: a whole category, or (for User Group Address Lists only) some of
/// its lists, as `user-group-address-lists:05,07` (R11: these import one by one, never export so).
public struct CategorySelection: Codable, Sendable, Hashable, CustomStringConvertible {
    public var category: SettingCategory
    /// List numbers ("01"..."50"); `nil` means the whole category.
    public var lists: [String]?

    public init(_ category: SettingCategory, lists: [String]? = nil) {
        self.category = category
        self.lists = lists
    }

    public static func parse(_ text: String) throws(SelectionError) -> CategorySelection {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let name = parts.first, let category = SettingCategory(rawValue: name) else {
            throw SelectionError(
                message: "unknown category '\(text)'; categories: "
                    + SettingCategory.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard parts.count == 2 else { return CategorySelection(category) }
        guard category == .userGroupAddressLists else {
            throw SelectionError(message: "only user-group-address-lists can be narrowed to lists (e.g. user-group-address-lists:05)")
        }
        let lists = parts[1].split(separator: ",").map(String.init)
        guard !lists.isEmpty, lists.allSatisfy({ $0.count == 2 && Int($0).map { (1...50).contains($0) } == true }) else {
            throw SelectionError(message: "user group address lists are numbered 01 to 50, as in user-group-address-lists:05,07")
        }
        return CategorySelection(category, lists: lists)
    }

    public var description: String {
        lists.map { "\(category.rawValue):\($0.joined(separator: ","))" } ?? category.rawValue
    }

    /// Whether a record of this category belongs to the selection (lists are `.../NN` ids or have a `list` field).
    public func contains(_ record: SettingRecord) -> Bool {
        guard let lists else { return true }
        return lists.contains { list in record.id.hasSuffix("/\(list)") || record.id.contains("/\(list)/") || record.fields["list"] == list
        }
    }
}

public struct SelectionError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
