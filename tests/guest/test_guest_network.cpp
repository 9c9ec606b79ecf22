// The guest serving HTTP: a static Go server (Debian's Go, CGO off) behind QEMU user
// networking, its address from the kernel's ip= autoconfiguration or from uk-init.
#include "guest/guest_vm.hpp"
#include "support/http.hpp"
#include "support/ports.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

void serve_go_server(const std::string& memory, bool kernel_ip_config)
{
    uk::test::TempDir dir;
    uk::test::GuestRoot root(dir);
    root.add_file("/server", UK_TEST_GO_SERVER);
    root.set_manifest({{"version", 1}, {"program", "/server"}, {"env", {{"PORT", "8080"}}}});
    auto port = uk::test::free_tcp_port();
    uk::test::GuestVm vm(dir, root.pack(),
                         {.memory = memory, .tcp_forwards = {{port, 8080}}, .kernel_ip_config = kernel_ip_config});
    auto response = uk::test::wait_for_http_ok("127.0.0.1", port, "/", 120s);
    INFO(vm.console());
    REQUIRE(response);
    CHECK(response->body == "hello from uk\n");
    auto compute = uk::test::http_get("127.0.0.1", port, "/compute", 10s);
    REQUIRE(compute);
    CHECK(compute->body.size() == 65); // 64 hex digits and a newline
}

} // namespace

TEST_CASE("a static Go server answers HTTP through a forwarded port (kernel ip= autoconfiguration)", "[guest]")
{
    serve_go_server("64M", true);
}

TEST_CASE("the kernel boots with 32 MiB and serves the Go server (address set by uk-init)", "[guest]")
{
    serve_go_server("32M", false);
}
