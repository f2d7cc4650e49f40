#pragma once
// Eigen parallelises large products (and the blocked factorisations built on
// them) with OpenMP when it may, and a different split over threads can
// change rounding. Code whose result must be the same bits for any thread
// count holds one of these for the duration: Eigen runs on one thread, and
// the previous setting comes back at the end of the scope.

#include <Eigen/Core>

namespace animerec::als {

class SingleThreadedEigen {
 public:
  SingleThreadedEigen() : saved_(Eigen::nbThreads()) { Eigen::setNbThreads(1); }
  ~SingleThreadedEigen() { Eigen::setNbThreads(saved_); }
  SingleThreadedEigen(const SingleThreadedEigen&) = delete;
  SingleThreadedEigen& operator=(const SingleThreadedEigen&) = delete;

 private:
  int saved_;
};

}  // namespace animerec::als
