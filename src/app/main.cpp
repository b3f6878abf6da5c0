// confab: one binary, several subcommands (serve, bench, and the clients chat, pub, sub).
#include <csignal>
#include <exception>
#include <iostream>

#include "app/commands.hpp"

int main(int argc, char** argv) {
    // Writes use MSG_NOSIGNAL, but nothing else may kill us on a closed peer either.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"confab: real-time messaging server (WebSocket, telnet) and tools"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "confab 0.1.0");
    confab::app::Run serve = confab::app::add_serve_command(app);
    confab::app::Run bench = confab::app::add_bench_command(app);
    confab::app::Run chat = confab::app::add_chat_command(app);
    confab::app::Run pub = confab::app::add_pub_command(app);
    confab::app::Run sub = confab::app::add_sub_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        if (app.got_subcommand("serve")) return serve();
        if (app.got_subcommand("bench")) return bench();
        if (app.got_subcommand("chat")) return chat();
        if (app.got_subcommand("pub")) return pub();
        if (app.got_subcommand("sub")) return sub();
    } catch (const std::exception& e) {
        std::cerr << "confab: " << e.what() << "\n";
        return 1;
    }
    return 2;
}
