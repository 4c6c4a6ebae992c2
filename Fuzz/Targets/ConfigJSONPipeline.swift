import CanrunCore
import Foundation

/// A Hugging Face `config.json`, as a file of `canrun fit` or the body of `POST /v1/fit`: read,
/// validated, and fitted at every rung of the ladder on the first machine (the daemon's answer
/// without a quantization) and at the default rung on the others.
enum ConfigJSONPipeline {
    static func run(_ input: [UInt8], world: FuzzWorld) throws(FuzzInvariant) -> FuzzOutcome {
        let spec: ModelSpec
        do {
            (spec, _) = try HFConfigReader.read(Data(input), id: "fuzz")
        } catch {
            return .rejection(error)
        }
        var verdicts: [String] = []
        for (index, machine) in world.machines.enumerated() {
            let question = index == 0 ? FitQuestion() : FitQuestion(quant: "Q4_K_M")
            do {
                let answer = try world.advisor.fit(spec, question, machine: machine)
                verdicts.append(try FitInvariants.check(answer, model: spec, target: "config-json"))
            } catch let error as FuzzInvariant {
                throw error
            } catch {
                return .rejection(error)
            }
        }
        return .accepted(verdicts.joined(separator: ", "))
    }
}
