#include "app/cli.hpp"

int main(int argc, char** argv) { return mimamori::app::run_cli(argc, argv); }
