import CanrunCore

/// A GGUF file's bytes as `canrun fit FILE.gguf` takes them: the header read, the model made from
/// its metadata and tensor table, and fitted as it is stored on every machine of the world.
enum GGUFPipeline {
    static func run(_ input: [UInt8], world: FuzzWorld) throws(FuzzInvariant) -> FuzzOutcome {
        let model: GGUFModel
        do {
            var reader = GGUFReader(source: GGUFBuffer(input), table: world.quants)
            model = try GGUFModel(parts: [try reader.read()], id: "fuzz")
        } catch {
            return .rejection(error)
        }
        if model.weightsBytes <= 0 { throw FuzzInvariant("gguf", "a model of \(model.weightsBytes) weight bytes") }
        var verdicts: [String] = []
        for machine in world.machines {
            do {
                let answer = try world.advisor.fit(
                    model.spec,
                    fileWeights: model.weights,
                    FitQuestion(),
                    machine: machine
                )
                verdicts.append(try FitInvariants.check(answer, model: model.spec, target: "gguf"))
            } catch let error as FuzzInvariant {
                throw error
            } catch {
                return .rejection(error)
            }
        }
        return .accepted(verdicts.joined(separator: ", "))
    }
}
