import CanrunCore
import Testing

/// The decimal formatter fit reports use in place of `String(format:)`.
struct ProfileTextTests {
    @Test(arguments: [
        (32.7349, 1, "32.7"), (0.99, 2, "0.99"), (2.596, 2, "2.60"), (0.005, 2, "0.01"), (1.25, 0, "1"),
        (24.0, 0, "24"), (-1.25, 1, "-1.3"), (-0.004, 2, "0.00"), (0.0407, 4, "0.0407"), (100, 1, "100.0"),
    ])
    func decimal(_ x: Double, _ places: Int, _ expected: String) {
        #expect(ProfileText.decimal(x, places: places) == expected)
    }

    @Test func notFiniteIsSaidAsSuch() {
        #expect(ProfileText.decimal(.infinity, places: 1) == "inf")
        #expect(ProfileText.decimal(.nan, places: 1) == "nan")
    }
}
