/// Linear least squares with every coefficient kept at zero or above: the physical parameters
/// of the speed model (1/η, τ, 1/κ) are never negative, and a column the data pushes below zero
/// is dropped (set to 0) and the rest refitted.
enum LeastSquares {
    /// Coefficients `c` minimising Σ (rows[i] · c − target[i])²; nil when the system is singular
    /// or empty.
    static func nonNegative(_ rows: [[Double]], _ target: [Double]) -> [Double]? {
        guard let width = rows.first?.count, width > 0, rows.count >= width else { return nil }
        // A column the data never fills (no run knows that term) carries no information.
        var active = (0..<width).filter { column in rows.contains { $0[column] != 0 } }
        while !active.isEmpty {
            guard let solved = solve(rows.map { row in active.map { row[$0] } }, target) else { return nil }
            if let negative = solved.indices.first(where: { solved[$0] < 0 }) {
                active.remove(at: negative)
                continue
            }
            var out = Array(repeating: 0.0, count: width)
            for (k, column) in active.enumerated() { out[column] = solved[k] }
            return out
        }
        return nil
    }

    /// The normal equations, solved by Gaussian elimination with partial pivoting.
    static func solve(_ rows: [[Double]], _ target: [Double]) -> [Double]? {
        let n = rows.first?.count ?? 0
        var a = Array(repeating: Array(repeating: 0.0, count: n + 1), count: n)
        for (row, y) in zip(rows, target) {
            for i in 0..<n {
                for j in 0..<n { a[i][j] += row[i] * row[j] }
                a[i][n] += row[i] * y
            }
        }
        for column in 0..<n {
            guard let pivot = (column..<n).max(by: { abs(a[$0][column]) < abs(a[$1][column]) }),
                abs(a[pivot][column]) > 1e-300
            else { return nil }
            a.swapAt(column, pivot)
            for row in 0..<n where row != column {
                let factor = a[row][column] / a[column][column]
                for j in column...n { a[row][j] -= factor * a[column][j] }
            }
        }
        return (0..<n).map { a[$0][n] / a[$0][$0] }
    }
}
