# Included right after llama.cpp's own project() call (CMAKE_PROJECT_llama.cpp_INCLUDE, see
# llamacpp-wheel.sh). llama-cpp-python forces LLAMA_BUILD_COMMON ON, but its Python package
# loads only ggml*, llama and mtmd; llama-common (arg parsing, chat templates, downloads) and the
# cpp-httplib it pulls in are a third of the compile time and never loaded. mtmd must not link
# llama-common (upstream checks this), so turning it off changes nothing the package runs.
set(LLAMA_BUILD_COMMON OFF CACHE BOOL "llama: build common utils library" FORCE)
