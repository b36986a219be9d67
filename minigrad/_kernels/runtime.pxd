from ._types cimport minigrad_region

cpdef void sync_threads() noexcept
cdef void region_closed(minigrad_region* region) noexcept nogil
