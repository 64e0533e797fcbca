#include "sampler/service/sampler_metrics.h"

namespace rlvr::sampler {
namespace {

// Counter increase from `before` to `now`; a counter that went back (a restarted engine) counts
// from zero.
double Delta(uint64_t before, uint64_t now) {
  return static_cast<double>(now >= before ? now - before : now);
}

}  // namespace

SamplerMetrics::SamplerMetrics(const Sampler* sampler, StatsFn stats, MetricsRegistry* registry)
    : sampler_(sampler),
      stats_(std::move(stats)),
      generated_tokens_(registry->GetCounter("rlvr_sampler_generated_tokens_total",
                                             "Tokens decoded by the engine.")),
      prompt_tokens_(registry->GetCounter("rlvr_sampler_prompt_tokens_total",
                                          "Prompt tokens prefilled by the engine.")),
      steps_(registry->GetCounter("rlvr_sampler_steps_total", "Engine forward steps.")),
      batch_rows_(registry->GetCounter("rlvr_sampler_batch_rows_total",
                                       "Rows decoded, summed over engine steps.")),
      occupancy_(registry->GetGauge("rlvr_sampler_batch_occupancy",
                                    "Rows decoded per step since the previous scrape.")),
      running_(registry->GetGauge("rlvr_sampler_running", "Samples decoding now.")),
      queued_(registry->GetGauge("rlvr_sampler_queue_length", "Requests waiting to start.")),
      kv_used_(registry->GetGauge("rlvr_sampler_kv_pages_used", "KV cache pages in use.")),
      kv_peak_(
          registry->GetGauge("rlvr_sampler_kv_pages_peak", "Most KV cache pages ever in use.")),
      kv_total_(registry->GetGauge("rlvr_sampler_kv_pages_total", "KV cache pages allocated.")),
      kv_page_bytes_(registry->GetGauge("rlvr_sampler_kv_page_bytes", "Bytes of one KV page.")),
      policy_version_(
          registry->GetGauge("rlvr_sampler_policy_version", "Weights version serving.")) {}

void SamplerMetrics::Refresh() {
  policy_version_.Set(static_cast<double>(sampler_->Info().policy_version));
  if (!stats_) return;
  const EngineStats now = stats_();
  std::lock_guard<std::mutex> lock(mu_);
  generated_tokens_.Increment(Delta(last_.generated_tokens, now.generated_tokens));
  prompt_tokens_.Increment(Delta(last_.prompt_tokens, now.prompt_tokens));
  const double steps = Delta(last_.steps, now.steps);
  const double rows = Delta(last_.batch_rows, now.batch_rows);
  steps_.Increment(steps);
  batch_rows_.Increment(rows);
  if (steps > 0) occupancy_.Set(rows / steps);
  running_.Set(static_cast<double>(now.running));
  queued_.Set(static_cast<double>(now.queued));
  kv_used_.Set(static_cast<double>(now.kv_pages_used));
  kv_peak_.Set(static_cast<double>(now.kv_pages_peak));
  kv_total_.Set(static_cast<double>(now.kv_pages_total));
  kv_page_bytes_.Set(static_cast<double>(now.kv_page_bytes));
  last_ = now;
}

StatsFn StatsOf(const Sampler* sampler) {
  const auto* engine = dynamic_cast<const Engine*>(sampler);
  if (engine == nullptr) return {};
  return [engine] { return engine->Stats(); };
}

}  // namespace rlvr::sampler
