/// One way of placing a model that llama.cpp offers; nil where the machine does not offer it
/// (no GPU, no RAM figure, not a MoE model…).
protocol Placement: Sendable {
    func candidate(in context: PlacementContext) -> PlacementCandidate?
}
