// The shell's texts (features keep theirs in their own folder).
export default {
  app: { menu: '主菜单', title: '社区管理后台', street: '街道', language: '语言', logout: '退出登录', community: '当前社区', loading: '加载中…', empty: '暂无数据', retry: '重试' },
  menu: { overview: '概览', access: '通行', safety: '安全', registry: '基础信息', cases: '案件', street: '街道管理' },
  forbidden: { title: '无权访问', page: '您的账号没有打开此页面的权限。', community: '此社区不在您的账号范围内。', back: '返回首页' },
  notFound: { title: '页面不存在', back: '返回首页' },
  paging: { prev: '上一页', next: '下一页', size: '每页条数' },
  actions: { search: '查询', reset: '重置', confirm: '确定', cancel: '取消', close: '关闭', refresh: '刷新', detail: '详情' },
  errors: {
    network: '无法连接服务器，请检查网络后重试。',
    unauthenticated: '登录已失效，请重新登录。',
    forbidden: '您的账号无权执行此操作。',
    csrf_failed: '页面已过期，请刷新后重试。',
    too_many_attempts: '尝试次数过多，请稍后再试。',
    not_found: '记录不存在或已被删除。',
    revision_conflict: '配置已被他人修改，请重新打开后再改。',
    box_revoked: '该边缘盒已吊销。',
    invalid_field: '填写有误：{field}',
    generic: '操作失败：{message}',
  },
  time: { range: '时间范围', from: '开始时间', to: '结束时间' },
  bool: { yes: '是', no: '否' },
}
