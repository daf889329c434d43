/// What a machine can take, as it reports it (the host plans imports against it, R9).
public struct DeviceCapabilities: Codable, Sendable, Hashable {
    public var model: String
    public var series: String
    public var capacities: DeviceProfile.Capacities
    public var categoryClasses: [SettingCategory: CrossModelClass]

    public init(
        model: String, series: String, capacities: DeviceProfile.Capacities,
        categoryClasses: [SettingCategory: CrossModelClass]
    ) {
        self.model = model
        self.series = series
        self.capacities = capacities
        self.categoryClasses = categoryClasses
    }
}

extension DeviceProfile {
    public var capabilities: DeviceCapabilities {
        DeviceCapabilities(model: model, series: series, capacities: capacities, categoryClasses: categoryClasses)
    }
}
