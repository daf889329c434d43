/// Word pools for made-up people, organizations and places. Names are combined at random, so no
/// record describes a real person; domains are under the reserved `.example` top-level domain.
enum FixtureNames {
    static let first = [
        "Aiko", "Alma", "Amara", "Anders", "Anika", "Arjun", "Ava", "Bela", "Bruno", "Camila", "Carmen",
        "Chidi", "Clara", "Dario", "Dmitri", "Elif", "Elena", "Emeka", "Emil", "Farah", "Felix", "Freya",
        "Gabriel", "Greta", "Hana", "Hugo", "Ines", "Ivan", "Jana", "Jonas", "Julia", "Kai", "Kenji",
        "Lara", "Leon", "Lina", "Luca", "Maja", "Malik", "Marta", "Mateo", "Mei", "Milan", "Nadia",
        "Nia", "Noah", "Olga", "Omar", "Oskar", "Paula", "Priya", "Rafael", "Rosa", "Sami", "Sara",
        "Sofia", "Tariq", "Tess", "Theo", "Uma", "Vera", "Viktor", "Wen", "Yara", "Yusuf", "Zoe",
    ]
    static let last = [
        "Abara", "Adler", "Almeida", "Andersen", "Arkwright", "Bauer", "Bellamy", "Brandt", "Castellan",
        "Chen", "Dalgaard", "Delacroix", "Eberhardt", "Esposito", "Falkner", "Ferreira", "Galloway",
        "Haddad", "Halvorsen", "Hartmann", "Ibarra", "Ivanova", "Jansen", "Kaczmarek", "Kato", "Keller",
        "Kowalczyk", "Lindqvist", "Lombardi", "Marchetti", "Moreau", "Nakamura", "Novak", "Oduya",
        "Okafor", "Ostrowski", "Pereira", "Petrov", "Quintero", "Rasmussen", "Reyes", "Rossi", "Sandoval",
        "Schreiber", "Sorensen", "Tanaka", "Thornbury", "Urquhart", "Valdez", "Vasquez", "Weber",
        "Whitlock", "Yamada", "Yilmaz", "Zielinski", "Zimmer",
    ]
    static let orgWords = [
        "Alder", "Amber", "Basalt", "Birch", "Bluefin", "Brightwater", "Cedar", "Cobalt", "Copperleaf",
        "Driftwood", "Ember", "Fernhill", "Granite", "Harbor", "Heron", "Juniper", "Kestrel", "Lantern",
        "Larkspur", "Meadow", "Millbrook", "Northgate", "Oakridge", "Pinecrest", "Quarry", "Redwing",
        "Riverside", "Saltmarsh", "Silverline", "Stonebridge", "Summit", "Thistle", "Westfield", "Willow",
    ]
    static let orgKinds = [
        "Logistics", "Dental", "Legal", "Architects", "Clinic", "Engineering", "Foods", "Insurance",
        "Print Works", "Realty", "Accounting", "Textiles", "Pharmacy", "Motors", "Studio", "Holdings",
    ]
    static let departments = [
        "Accounting", "Administration", "Customer Service", "Design", "Engineering", "Facilities",
        "Finance", "Human Resources", "IT", "Legal", "Logistics", "Marketing", "Procurement",
        "Production", "Quality", "Reception", "Research", "Sales", "Shipping", "Training",
    ]
    static let sites = ["HQ", "Branch East", "Branch West", "Plant 2", "Warehouse", "Annex"]
    static let mailboxes = ["scans", "invoices", "orders", "reception", "hr-docs", "contracts", "claims", "archive"]
    static let shares = ["Scans", "Invoices", "Contracts", "Drawings", "Archive", "Incoming", "Reports", "Shared"]
    /// North American 555-01xx numbers are reserved for fiction; so are UK 020 7946 0xxx numbers.
    static let areaCodes = ["212", "303", "312", "415", "503", "512", "602", "617", "702", "713", "804", "919"]

    static func orgName(_ random: inout FixtureRandom) -> String {
        "\(random.pick(orgWords)) \(random.pick(orgKinds))"
    }

    static func domain(of org: String) -> String {
        org.lowercased().split(separator: " ").joined(separator: "-") + ".example"
    }

    static func faxNumber(_ random: inout FixtureRandom) -> String {
        if random.chance(70) {
            return "+1 \(random.pick(areaCodes)) 555 01\(FixtureText.pad(random.int(0...99), 2))"
        }
        return "+44 20 7946 0\(FixtureText.pad(random.int(0...999), 3))"
    }

    /// An address in a documentation or private range.
    static func lanAddress(_ random: inout FixtureRandom) -> String {
        random.chance(50)
            ? "192.168.\(random.int(0...31)).\(random.int(2...250))"
            : "10.\(random.int(0...40)).\(random.int(0...255)).\(random.int(2...250))"
    }
}
