// TempDir for model/ tests: a fresh directory under /tmp, removed with everything in it when the
// object goes away. Aborts if the directory cannot be made.
#ifndef RLVR_MODEL_INTERNAL_TEMP_DIR_H_
#define RLVR_MODEL_INTERNAL_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace rlvr::model::internal {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/rlvr_model_test_XXXXXX";
    const char* made = mkdtemp(pattern);
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace rlvr::model::internal

#endif  // RLVR_MODEL_INTERNAL_TEMP_DIR_H_
