// jsdom lacks what ant-design-vue's responsive parts ask for.
if (typeof window !== "undefined" && !window.matchMedia) {
  window.matchMedia = (query) => ({
    matches: false, media: query, onchange: null,
    addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, dispatchEvent() { return false },
  })
}
if (typeof window !== "undefined" && !window.ResizeObserver) {
  window.ResizeObserver = class { observe() {} unobserve() {} disconnect() {} }
}
if (typeof window !== "undefined") window.scrollTo = () => {}
if (typeof window !== 'undefined') {
  // jsdom does not implement getComputedStyle for pseudo-elements (ant's scroll-bar measure asks for one).
  const computed = window.getComputedStyle.bind(window)
  window.getComputedStyle = (element) => computed(element)
}
