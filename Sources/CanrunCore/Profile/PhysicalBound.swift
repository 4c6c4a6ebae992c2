/// The range a machine fact of one kind can physically take, and what to say when a source
/// reports a value outside it: the fact becomes unknown (`nil`), never a wrong number and never a
/// trap in the arithmetic that follows.
///
/// A `Double` bound also rejects NaN and the infinities: they compare false against every end of
/// a finite range.
public struct PhysicalBound<Value: Comparable & Sendable>: Sendable {
    /// What the value measures, in words (`memory per DIMM`).
    public let quantity: String
    public let range: ClosedRange<Value>
    /// The unit a source and a profile give the value in (`bytes`, `MT/s`).
    public let unit: String

    public init(_ quantity: String, _ range: ClosedRange<Value>, _ unit: String) {
        self.quantity = quantity
        self.range = range
        self.unit = unit
    }

    public func contains(_ value: Value) -> Bool { range.contains(value) }

    /// `0…1125899906842624 bytes`.
    public var bound: String { "\(range.lowerBound)…\(range.upperBound)" + (unit.isEmpty ? "" : " \(unit)") }

    /// `value` when it is within the bound; otherwise `nil`, and a sentence naming the source, the
    /// value and the bound is appended to `problems`. `nil` stays `nil` silently: unknown is not
    /// a problem.
    public func admit(_ value: Value?, from source: String, problems: inout [String]) -> Value? {
        guard let value else { return nil }
        if contains(value) { return value }
        problems.append(problem("\(value)", from: source))
        return nil
    }

    /// The sentence for a value outside the bound, or one that the source wrote but no integer
    /// type holds (`18446744073709551615`, a size that overflows once turned into bytes).
    public func problem(_ written: String, from source: String) -> String {
        "\(source): \(quantity) \(written) is outside the physical bound \(bound); treated as unknown"
    }
}

extension PhysicalBound where Value: FixedWidthInteger {
    /// `count × unit` when the product is representable and within the bound; otherwise `nil`
    /// and a problem quoting `written`, what the source printed.
    public func admit(
        _ count: Value,
        times unit: Value,
        written: String,
        from source: String,
        problems: inout [String]
    ) -> Value? {
        let (product, overflow) = count.multipliedReportingOverflow(by: unit)
        guard !overflow, contains(product) else {
            problems.append(problem(written, from: source))
            return nil
        }
        return product
    }

    /// The sum of `values`, or `nil` when one is unknown, the sum overflows, or it leaves the
    /// bound (with a problem then). Empty input sums to `nil`: no value, no total.
    public func sum(_ values: [Value?], from source: String, problems: inout [String]) -> Value? {
        guard !values.isEmpty else { return nil }
        var total: Value = 0
        for value in values {
            guard let value else { return nil }
            let (next, overflow) = total.addingReportingOverflow(value)
            guard !overflow else {
                problems.append(problem("above \(Value.max)", from: source))
                return nil
            }
            total = next
        }
        return admit(total, from: source, problems: &problems)
    }
}
