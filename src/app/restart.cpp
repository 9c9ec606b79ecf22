#include "app/restart.hpp"

#include <algorithm>

namespace uk::app {

bool should_restart(const settings::RestartPolicy& policy, const RunEnd& end, unsigned restarts)
{
    using When = settings::RestartPolicy::When;
    if (end.stop_requested)
        return false;
    switch (policy.when) {
    case When::no: return false;
    case When::always:
    case When::unless_stopped: return true;
    case When::on_failure:
        if (end.program_status == 0)
            return false;
        return !policy.max_restarts || restarts < *policy.max_restarts;
    }
    return false;
}

std::chrono::milliseconds RestartBackoff::next(std::chrono::milliseconds run_lasted)
{
    if (delay_.count() == 0 || run_lasted >= steady_run)
        delay_ = first;
    else
        delay_ = std::min(delay_ * 2, cap);
    return delay_;
}

} // namespace uk::app
