import CanrunCore
import CanrunServer
import NIOHTTP1
import Testing

/// Request lines to routes, and every way a request line can be wrong.
struct APIRouteTests {
    @Test(arguments: [
        ("GET", "/v1/health", APIRoute.health),
        ("GET", "/v1/machine", .machine),
        ("GET", "/v1/bandwidth", .bandwidth),
        ("POST", "/v1/bandwidth", .rebenchmark),
        ("GET", "/v1/calibration", .calibration),
        ("GET", "/v1/verifications", .verifications),
        ("GET", "/", .report(.init(context: 8192, minTokensPerSecond: nil, limit: nil))),
        (
            "GET", "/report?ctx=4096",
            .report(.init(context: 4096, minTokensPerSecond: nil, limit: nil, contextAsked: true))
        ),
        ("POST", "/v1/verify?model=/srv/m.gguf", .verify(.init(file: "/srv/m.gguf"))),
        (
            "POST", "/v1/verify?model=/srv/m.gguf&depth=4096&repetitions=2&ctx=8192&kv=q8_0&flash_attn=off&threads=4",
            .verify(
                .init(
                    file: "/srv/m.gguf",
                    question: FitQuestion(context: 8192, kvType: "q8_0", flashAttention: false, threads: 4),
                    depth: 4096,
                    repetitions: 2
                )
            )
        ),
        ("POST", "/v1/calibration", .recalibrate(.init())),
        (
            "POST", "/v1/calibration?quick=1&allow_busy=yes&threads=2&repetitions=1",
            .recalibrate(.init(quick: true, allowBusy: true, threads: 2, repetitions: 1))
        ),
        ("GET", "/v1/models", .models),
        ("GET", "/v1/models/llama-3.1-8b", .model(id: "llama-3.1-8b")),
        ("GET", "/v1/models/meta-llama%2FLlama-3.1-8B", .model(id: "meta-llama/Llama-3.1-8B")),
        (
            "GET", "/v1/fit?model=qwen3-30b-a3b&quant=Q4_K_M&ctx=32768&kv=q8_0&flash_attn=off",
            .fit(.init(model: "qwen3-30b-a3b", quant: "Q4_K_M", context: 32768, kvType: "q8_0", flashAttention: false))
        ),
        (
            "GET", "/v1/fit?model=x&backend=vulkan&llama_build=b2824&threads=16",
            .fit(
                .init(
                    model: "x",
                    quant: nil,
                    context: nil,
                    kvType: nil,
                    flashAttention: true,
                    gpuBackend: .vulkan,
                    llamaBuild: 2824,
                    threads: 16
                )
            )
        ),
        (
            "GET", "/v1/fit?model=llama%203",
            .fit(.init(model: "llama 3", quant: nil, context: nil, kvType: nil, flashAttention: true))
        ),
        ("GET", "/v1/recommendations", .recommendations(.init(context: 8192, minTokensPerSecond: nil, limit: nil))),
        (
            "GET", "/v1/recommendations?ctx=4096&min_tps=12.5&limit=3",
            .recommendations(.init(context: 4096, minTokensPerSecond: 12.5, limit: 3, contextAsked: true))
        ),
        (
            "GET", "/v1/recommendations?all=1&allow_heavy_loss=true",
            .recommendations(
                .init(context: 8192, minTokensPerSecond: nil, limit: nil, includeSlow: true, allowHeavyLoss: true)
            )
        ),
        (
            "GET", "/v1/fit?model=x&min_tps=20&allow_heavy_loss=1",
            .fit(
                .init(
                    model: "x",
                    quant: nil,
                    context: nil,
                    kvType: nil,
                    flashAttention: true,
                    minTokensPerSecond: 20,
                    allowHeavyLoss: true
                )
            )
        ),
    ])
    func parses(_ method: String, _ target: String, _ expected: APIRoute) {
        #expect(APIRoute.parse(method: HTTPMethod(rawValue: method), target: target) == .success(expected))
    }

    @Test(arguments: [
        ("GET", "/v2/health", 404, "not_found"),
        ("GET", "/index.html", 404, "not_found"),
        ("POST", "/", 405, "method_not_allowed"),
        ("GET", "/?colour=red", 400, "bad_request"),
        ("POST", "/v1/health", 405, "method_not_allowed"),
        ("DELETE", "/v1/bandwidth", 405, "method_not_allowed"),
        ("GET", "/v1/fit", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&ctx=-5", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&ctx=lots", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&runtime=vllm", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&flash_attn=maybe", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&backend=opencl", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&llama_build=latest", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&llama_build=-3", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&threads=0", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&threads=many", 400, "bad_request"),
        ("GET", "/v1/fit?model=%zz", 400, "bad_request"),
        ("GET", "/v1/recommendations?min_tps=nan", 400, "bad_request"),
        ("GET", "/v1/recommendations?limit=0", 400, "bad_request"),
        ("GET", "/v1/recommendations?all=maybe", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&allow_heavy_loss=2", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&min_tps=-1", 400, "bad_request"),
        ("GET", "/v1/fit?model=x&parallel=0", 400, "bad_request"),
        // A misspelt parameter is refused, not ignored (the answer would be for the default).
        ("GET", "/v1/fit?model=x&context=4096", 400, "bad_request"),
        ("POST", "/v1/fit?quant=Q4_K_M&model_id=q", 400, "bad_request"),
        ("GET", "/v1/recommendations?ctx=4096&mintps=10", 400, "bad_request"),
        ("GET", "/v1/models/a%2Fb%2Fc/d", 400, "bad_request"),
        ("DELETE", "/v1/calibration", 405, "method_not_allowed"),
        ("POST", "/v1/calibration?repetitions=0", 400, "bad_request"),
        ("POST", "/v1/calibration?repetitions=101", 400, "bad_request"),
        ("POST", "/v1/calibration?threads=0", 400, "bad_request"),
        ("POST", "/v1/calibration?quick=maybe", 400, "bad_request"),
        ("POST", "/v1/calibration?fast=1", 400, "bad_request"),
        ("GET", "/v1/verify?model=/srv/m.gguf", 405, "method_not_allowed"),
        ("POST", "/v1/verify", 400, "bad_request"),
        ("POST", "/v1/verify?model=m.gguf", 400, "bad_request"),
        ("POST", "/v1/verify?model=/srv/m.safetensors", 400, "bad_request"),
        ("POST", "/v1/verify?model=/srv/m.gguf&depth=0", 400, "bad_request"),
        ("POST", "/v1/verify?model=/srv/m.gguf&ctx=-1", 400, "bad_request"),
        ("POST", "/v1/verify?model=/srv/m.gguf&quant=Q4_0", 400, "bad_request"),
    ])
    func refuses(_ method: String, _ target: String, _ status: Int, _ code: String) {
        guard case .failure(let error) = APIRoute.parse(method: HTTPMethod(rawValue: method), target: target) else {
            Issue.record("\(method) \(target) parsed")
            return
        }
        #expect(error.status.code == status)
        #expect(error.code == code)
        #expect(!error.message.isEmpty)
    }

    @Test func onlyTheRoutesThatChangeStateAreAdmin() {
        #expect(APIRoute.rebenchmark.isAdmin)
        #expect(APIRoute.reload.isAdmin)
        #expect(APIRoute.recalibrate(.init()).isAdmin)
        #expect(APIRoute.verify(.init(file: "/m.gguf")).isAdmin)
        #expect(!APIRoute.verifications.isAdmin)
        #expect(!APIRoute.calibration.isAdmin)
        #expect(!APIRoute.health.isAdmin)
        #expect(!APIRoute.bandwidth.isAdmin)
    }
}
