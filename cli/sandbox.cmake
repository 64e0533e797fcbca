# rlvr-sandbox: run one program in the sandbox and print the result as JSON.
add_executable(rlvr-sandbox ${CMAKE_CURRENT_LIST_DIR}/sandbox_main.cc)
target_link_libraries(rlvr-sandbox PRIVATE rlvr_sandbox nlohmann_json::nlohmann_json)
