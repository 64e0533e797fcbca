// The sampler's engine-level metrics, read from the sampler when /metrics is scraped.
//
// Every sampler has a policy version (rlvr_sampler_policy_version, from Info()). A sampler that
// can report engine counters (the local Engine: EngineStats) is given as a `stats` callback; a
// remote sampler has none and exposes only the service-level counters. Names:
//   rlvr_sampler_generated_tokens_total   tokens decoded                     (counter)
//   rlvr_sampler_prompt_tokens_total      prompt tokens prefilled            (counter)
//   rlvr_sampler_steps_total              forward steps                      (counter)
//   rlvr_sampler_batch_rows_total         rows decoded, summed over steps    (counter)
//   rlvr_sampler_batch_occupancy          rows per step since the last scrape (gauge)
//   rlvr_sampler_running                  samples decoding now               (gauge)
//   rlvr_sampler_queue_length             requests waiting to start          (gauge)
//   rlvr_sampler_kv_pages_used / _peak / _total, rlvr_sampler_kv_page_bytes  (gauges)
//   rlvr_sampler_policy_version           weights version serving            (gauge)
#ifndef RLVR_SAMPLER_SERVICE_SAMPLER_METRICS_H_
#define RLVR_SAMPLER_SERVICE_SAMPLER_METRICS_H_

#include <functional>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "common/metrics.h"
#include "sampler/engine.h"
#include "sampler/sampler.h"

namespace rlvr::sampler {

using StatsFn = std::function<EngineStats()>;

class SamplerMetrics {
 public:
  // `sampler` and `registry` must outlive this; `stats` may be empty.
  SamplerMetrics(const Sampler* sampler, StatsFn stats, MetricsRegistry* registry);

  // Copies the sampler's current figures into the registry (counters advance by what changed since
  // the last call). Thread-safe.
  void Refresh();

 private:
  const Sampler* const sampler_;
  const StatsFn stats_;
  std::mutex mu_;
  EngineStats last_ ABSL_GUARDED_BY(mu_);
  Counter& generated_tokens_;
  Counter& prompt_tokens_;
  Counter& steps_;
  Counter& batch_rows_;
  Gauge& occupancy_;
  Gauge& running_;
  Gauge& queued_;
  Gauge& kv_used_;
  Gauge& kv_peak_;
  Gauge& kv_total_;
  Gauge& kv_page_bytes_;
  Gauge& policy_version_;
};

// The stats callback for `sampler` when it is an Engine; empty otherwise.
StatsFn StatsOf(const Sampler* sampler);

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_SERVICE_SAMPLER_METRICS_H_
