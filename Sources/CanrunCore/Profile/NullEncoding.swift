/// Makes every `Codable` type of CanrunCore encode an absent optional as `null` instead of
/// leaving the key out, as the API contract requires (DESIGN §3.1: "`null` where unknown").
///
/// Synthesized `encode(to:)` calls `encodeIfPresent` for optionals; these overloads, visible
/// where the synthesized code is compiled, shadow the standard ones and write `null`. The
/// concrete overloads are needed because the standard library has concrete ones for these
/// types, which a generic overload alone would not shadow.
extension KeyedEncodingContainer {
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        try encode(value, forKey: key)
    }

    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encode(value, forKey: key) }

    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encode(value, forKey: key) }

    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encode(value, forKey: key) }

    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encode(value, forKey: key) }

    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encode(value, forKey: key) }

    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encode(value, forKey: key) }
}
