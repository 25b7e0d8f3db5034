// 定义JSON数据 (sample of yimen/data/sources/sc-guangan-bszl.js for tests)
const bszlData = [
  {
    "department": "区教科体局",
    "items": [
      {
        "main_item": "未分类",
        "sub_items": [
          {
            "name": "适龄儿童、少年因身体状况需要延缓入学或者休学审批",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A0138000000-511602000000-000-115113010833722043-1-00&taskType=1&deptCode=083372204",
            "qrcode": ""
          },
          {
            "name": "中职和本专科建档立卡特别资助项目",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=G-000007-001-511602000000-000-115113010833722043-1-00&taskType=5&deptCode=083372204",
            "qrcode": ""
          }
        ]
      },
      {
        "main_item": "学前教育、义务教育阶段入学政策咨询及办理",
        "sub_items": [
          {
            "name": "学前教育、义务教育阶段入学办理",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=512B0052000016-511602000000-000-083372204-1-00&taskType=20&deptCode=083372204",
            "qrcode": ""
          },
          {
            "name": "学前教育、义务教育阶段入学政策咨询",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=512C0052000011-511602000000-000-083372204-1-00&taskType=20&deptCode=083372204",
            "qrcode": ""
          }
        ]
      },
      {
        "main_item": "义务教育阶段学生学籍异动政策咨询及办理",
        "sub_items": [
          {
            "name": "义务教育阶段学生学籍异动政策咨询",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=512C0052000012-511602000000-000-083372204-1-00&taskType=20&deptCode=083372204",
            "qrcode": ""
          },
          {
            "name": "义务教育阶段学生学籍异动办理",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=512B0052000009-511602000000-000-083372204-1-00&taskType=20&deptCode=083372204",
            "qrcode": ""
          }
        ]
      }
    ]
  },
  {
    "department": "区公安分局",
    "items": [
      {
        "main_item": "未分类",
        "sub_items": [
          {
            "name": "第二类易制毒化学品运输许可",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A0080800002-511602000000-000-1151130000877869M-1-00&taskType=1&deptCode=1151130000877869M",
            "qrcode": ""
          },
          {
            "name": "户口登记项目内容变更更正证明",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=513A0161200000-511602000000-000-1151130000877869M-1-00&taskType=20&deptCode=1151130000877869M",
            "qrcode": ""
          }
        ]
      },
      {
        "main_item": "户口登记（包括注销、恢复、变更）",
        "sub_items": [
          {
            "name": "户口恢复",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511F09014007-511602000000-000-11511300008778693M-1-00&taskType=7&deptCode=1151130000877869M",
            "qrcode": ""
          },
          {
            "name": "户口注销",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511F09014003-511602000000-000-11511300008778693M-1-00&taskType=7&deptCode=1151130000877869M",
            "qrcode": ""
          }
        ]
      }
    ]
  },
  {
    "department": "区交通运输局",
    "items": [
      {
        "main_item": "未分类",
        "sub_items": [
          {
            "name": "客运班线延续经营许可",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A0014100002-511602000000-000-2222222222222-1-00&taskType=1&deptCode=11736",
            "qrcode": ""
          },
          {
            "name": "对客运经营者在发车时间安排上发生纠纷客运站经营者协调无效的裁决",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=E-000004-001-11511301008778386B&taskType=9&deptCode=11511301008778386B",
            "qrcode": ""
          }
        ]
      },
      {
        "main_item": "客运线路经营主体、起讫地变更许可",
        "sub_items": [
          {
            "name": "客运线路经营主体、起讫地变更许可（变更经营主体）",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A1804500003-511602000000-000-11511301008778386B-1-00&taskType=1&deptCode=11511301008778386B",
            "qrcode": ""
          },
          {
            "name": "客运线路经营主体、起讫地变更许可（变更起讫地）",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A1804500004-511602000000-000-11511301008778386B-1-00&taskType=1&deptCode=11511301008778386B",
            "qrcode": ""
          }
        ]
      },
      {
        "main_item": "道路客运班线经营许可证明办理",
        "sub_items": [
          {
            "name": "道路客运班线经营许可证明（变更）",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A1804500010-511602000000-000-11511301008778386B-1-00&taskType=1&deptCode=11511301008778386B",
            "qrcode": ""
          },
          {
            "name": "道路客运班线经营许可证明（补发）",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A1804500012-511602000000-000-11511301008778386B-1-00&taskType=1&deptCode=11511301008778386B",
            "qrcode": ""
          }
        ]
      }
    ]
  },
  {
    "department": "区人社局",
    "items": [
      {
        "main_item": "未分类",
        "sub_items": [
          {
            "name": "机关事业单位社会保险缴费申报与变更",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=51201400100002-511602000000-000-1251130145226113XA-1-00&taskType=20&deptCode=1151130108778239R_6391",
            "qrcode": ""
          },
          {
            "name": "企业职工基本养老保险与城乡居民基本养老保险互转申请",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=512B0068100006-511602000000-000-12511301452260997J-1-00&taskType=20&deptCode=1151130108778239R_5143",
            "qrcode": ""
          },
          {
            "name": "企业职工社会保险费欠费补缴申报",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=512B0359300008-511602000000-000-12511301452260997J-1-00&taskType=20&deptCode=1151130108778239R_5143",
            "qrcode": ""
          },
          {
            "name": "求职创业补贴申领",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=512B0159000000-511602000000-000-1251130145225903XN-1-00&taskType=20&deptCode=1151130108778239R_6918",
            "qrcode": ""
          },
          {
            "name": "创业专家咨询",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=512B0066700001-511602000000-000-1151130108778239R-1-00&taskType=20&deptCode=1151130108778239R_6918",
            "qrcode": ""
          },
          {
            "name": "职业技能鉴定补贴申领",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=512B0067700001-511602000000-000-1251130145225903XN-1-00&taskType=20&deptCode=1151130108778239R_6918",
            "qrcode": ""
          }
        ]
      }
    ]
  },
  {
    "department": "广安区税务局",
    "items": [
      {
        "main_item": "未分类",
        "sub_items": [
          {
            "name": "申报错误更正（县级行使）",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=51203001400003-511602000000-000-11511301MB1549994W-1-00&taskType=20&deptCode=008779522",
            "qrcode": ""
          },
          {
            "name": "跨区域涉税事项报验（县级行使）",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511Z3000200015-511602000000-000-11511301MB1549994W-1-00&taskType=10&deptCode=008779522",
            "qrcode": ""
          }
        ]
      }
    ]
  },
  {
    "department": "区政府办",
    "items": [
      {
        "main_item": "应建防空地下室的民用建设项目报建审批",
        "sub_items": [
          {
            "name": "建设项目人防工程竣工验收",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A0047100006-511602000000-000-115113010087780365-1-00&taskType=1&deptCode=4431152073643597824",
            "qrcode": ""
          },
          {
            "name": "建设项目易地建设人防工程竣工验收",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A35004001-511602000000-000-115113010087780365-1-00&taskType=1&deptCode=4431152073643597824",
            "qrcode": ""
          }
        ]
      },
      {
        "main_item": "未分类",
        "sub_items": [
          {
            "name": "核实建设项目落实人民防空要求",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511Z99292001-511602000000-000-115113010087780365-1-00&taskType=10&deptCode=4431152073643597824",
            "qrcode": ""
          },
          {
            "name": "城市地下空间的规划和开发利用审批",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511Z0169800000-511602000000-000-115113010087780365-1-00&taskType=10&deptCode=4431152073643597824",
            "qrcode": ""
          }
        ]
      }
    ]
  },
  {
    "department": "区行政审批局",
    "items": [
      {
        "main_item": "未分类",
        "sub_items": [
          {
            "name": "在公路增设或改造平面交叉道口审批",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A0141700000-511602000000-000-115113016823646795-1-00&taskType=1&deptCode=68236467-9",
            "qrcode": ""
          }
        ]
      },
      {
        "main_item": "慈善组织公开募捐资格审批",
        "sub_items": [
          {
            "name": "慈善组织公开募捐资格审批",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A0045000039-511602000000-000-115113016823646795-1-00&taskType=1&deptCode=68236467-9",
            "qrcode": ""
          }
        ]
      },
      {
        "main_item": "股权出质登记",
        "sub_items": [
          {
            "name": "股权出质变更登记",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511F31141002-511602000000-000-115113016823646795-1-00&taskType=7&deptCode=68236467-9",
            "qrcode": ""
          }
        ]
      },
      {
        "main_item": "企业设立、变更、注销登记",
        "sub_items": [
          {
            "name": "合伙企业分支机构注销登记",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A0064100187-511602000000-000-115113016823646795-1-00&taskType=1&deptCode=68236467-9",
            "qrcode": ""
          }
        ]
      },
      {
        "main_item": "公共场所卫生许可",
        "sub_items": [
          {
            "name": "公共场所卫生许可新办审批（县级）",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A0015500009-511602000000-000-115113016823646795-1-00&taskType=1&deptCode=68236467-9",
            "qrcode": ""
          }
        ]
      },
      {
        "main_item": "经营高危险性体育项目许可",
        "sub_items": [
          {
            "name": "经营攀岩许可",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A0022500011-511602000000-000-115113016823646795-1-00&taskType=1&deptCode=68236467-9",
            "qrcode": ""
          }
        ]
      }
    ]
  },
  {
    "department": "区委统战部",
    "items": [
      {
        "main_item": "未分类",
        "sub_items": [
          {
            "name": "宗教团体、宗教院校、宗教活动场所接受境外组织和个人捐赠审批",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=511A0126800000-511602000000-000-76726532-X-1-00&taskType=1&deptCode=76726532-X",
            "qrcode": ""
          },
          {
            "name": "民族团结进步表彰活动",
            "link": "http://www.sczwfw.gov.cn/jiq/front/transition/ywTransToDetail?areaCode=511602000000&itemCode=H-000507-001-511602000000-000-1151130176726532XP-1-00&taskType=8&deptCode=76726532-X",
            "qrcode": ""
          }
        ]
      }
    ]
  }
];
